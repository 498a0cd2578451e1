/* plots.c — the figures: their data files, written into the report directory from the
 * analysis, and gnuplot run on the committed scripts under plots/ (strip.gp, lines.gp,
 * ecdf.gp, gpu_timeline.gp, curve.gp, open_loop.gp, workflows.gp) to render each as SVG
 * and PNG.
 * gnuplot missing or failing never stops the report: the figure is recorded as not
 * rendered, with the reason.
 * What the figures must not misstate: intervals of percentages bounded to 0-100 stay in
 * bounds (the bootstrap CI is drawn), reference lines are named in the key rather than
 * written over data, y ranges follow the data, and an ECDF spans every call, one panel
 * per step of the agents. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "report/output.h"
#include "report/values.h"

static const char *const SCRIPTS[] = {"common.gp",       "strip.gp", "lines.gp",     "ecdf.gp",
                                      "gpu_timeline.gp", "curve.gp", "open_loop.gp", "workflows.gp"};

/* ---- finding the scripts ---------------------------------------------------------- */

static bool has_scripts(const char *dir)
{
    for (size_t i = 0; i < sizeof SCRIPTS / sizeof SCRIPTS[0]; i++) {
        char *p = tdm_path_join(dir, SCRIPTS[i]);
        struct stat st;
        bool ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
        free(p);
        if (!ok)
            return false;
    }
    return true;
}

char *tdm_rep_find_plots_dir(const char *argv0)
{
    (void)argv0;
    const char *env = getenv("TANDEM_PLOTS_DIR");
    if (env && *env && has_scripts(env))
        return tdm_path_absolute(env, TDM_PATH_RESOLVED);
    char *exe = tdm_self_dir();
    if (exe) {
        /* build/bin, build/<name>/bin, and an installed prefix's share/tandem/plots */
        static const char *const rel[] = {"/../../plots", "/../../../plots", "/../share/tandem/plots",
                                          "/../plots"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char cand[PATH_MAX + 32];
            snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
            if (has_scripts(cand)) {
                free(exe);
                return tdm_path_absolute(cand, TDM_PATH_RESOLVED);
            }
        }
        free(exe);
    }
    return has_scripts("plots") ? tdm_path_absolute("plots", TDM_PATH_RESOLVED) : NULL;
}

/* ---- data files ------------------------------------------------------------------- */

/* A title line gnuplot reads with columnheader: quoted, without the characters that
 * would end the quote or the line. */
static void dat_title(tdm_buf *b, const char *s)
{
    tdm_buf_append_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            tdm_buf_append_str(b, "'");
        else if (*p < 0x20 || *p == 0x7f)
            tdm_buf_append_str(b, " ");
        else
            tdm_buf_append(b, p, 1);
    }
    tdm_buf_append_str(b, "\"\n");
}

static void dat_num(tdm_buf *b, double v)
{
    if (isfinite(v))
        tdm_buf_printf(b, "%.10g", v == 0.0 ? 0.0 : v);
    else
        tdm_buf_append_str(b, "NaN");
}

/* " mean lo hi" of a mean with its CI; a point without an interval (one run) gets its
 * bar at the mean, so it is drawn rather than dropped. */
static void dat_value(tdm_buf *b, const tdm_rep_curve_value *v)
{
    bool ci = isfinite(v->lo) && isfinite(v->hi);
    tdm_buf_append_str(b, " ");
    dat_num(b, v->mean);
    tdm_buf_append_str(b, " ");
    dat_num(b, ci ? v->lo : v->mean);
    tdm_buf_append_str(b, " ");
    dat_num(b, ci ? v->hi : v->mean);
}

static int write_dat(const char *out_dir, const char *name, tdm_buf *b, char *err, size_t errlen)
{
    char *path = tdm_path_join(out_dir, name);
    int rc = path ? tdm_write_file_atomic(path, tdm_buf_str(b), b->len, err, errlen) : -1;
    free(path);
    tdm_buf_free(b);
    return rc;
}

/* A gnuplot single-quoted string ('' stands for '). */
static void gp_str(tdm_buf *b, const char *name, const char *v)
{
    tdm_buf_printf(b, "%s='", name);
    for (const char *p = v; *p; p++) {
        if (*p == '\'')
            tdm_buf_append_str(b, "'");
        if (*p == '\n' || *p == '\r')
            tdm_buf_append_str(b, " ");
        else
            tdm_buf_append(b, p, 1);
    }
    tdm_buf_append_str(b, "'; ");
}

static tdm_rep_figure *add_fig(tdm_rep_figures *figs, const char *name, const char *caption, const char *script,
                               const char *data)
{
    tdm_rep_figure *p = realloc(figs->f, (figs->n + 1) * sizeof *p);
    if (!p)
        return NULL;
    figs->f = p;
    tdm_rep_figure *f = &figs->f[figs->n++];
    memset(f, 0, sizeof *f);
    f->name = tdm_rep_strdup(name);
    f->caption = tdm_rep_strdup(caption);
    f->script = tdm_rep_strdup(script);
    f->data = tdm_rep_strdup(data);
    return f;
}

static bool variant_has(const tdm_rep_analysis *an, int v, int metric, int ph)
{
    return an->variants[v].pooled.m[metric][ph].desc.n > 0;
}

/* x position of variant slot i of n around a configuration's integer position */
static double slot(size_t i, size_t n)
{
    double w = n > 1 ? 0.7 / (double)n : 0;
    return ((double)i - 0.5 * (double)(n - 1)) * w;
}

/* A tick label wrapped after '_', '-', ' ' or ',' into lines of about `width`
 * characters ("\n" in a quoted data string is a line break to gnuplot). Returns the
 * number of lines. */
static int dat_wrapped(tdm_buf *b, const char *s, size_t width)
{
    int lines = 1;
    size_t col = 0;
    tdm_buf_append_str(b, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* the next word, up to and including its separator */
        size_t w = 0;
        while (p[w] && !strchr("_- ,", p[w]))
            w++;
        if (p[w])
            w++;
        if (col > 0 && col + w > width) {
            tdm_buf_append_str(b, "\\n");
            lines++;
            col = 0;
        }
        for (size_t i = 0; i < w; i++) {
            if (p[i] == '"' || p[i] == '\\')
                tdm_buf_append_str(b, "'");
            else if (p[i] < 0x20 || p[i] == 0x7f)
                tdm_buf_append_str(b, " ");
            else
                tdm_buf_append(b, &p[i], 1);
        }
        col += w;
        p += w;
    }
    tdm_buf_append_str(b, "\"\n");
    return lines;
}

/* Configurations in which some variant has the metric: their x positions and tick
 * labels. *lines: the most lines a label needs. */
static size_t config_positions(const tdm_rep_analysis *an, int metric, int *pos, tdm_buf *configs, int *lines)
{
    const tdm_rep_dataset *ds = an->ds;
    size_t n = 0;
    *lines = 1;
    for (size_t c = 0; c < ds->n_configs; c++)
        pos[c] = -1;
    for (size_t c = 0; c < ds->n_configs; c++)
        for (size_t k = 0; k < ds->n_cells; k++)
            if (ds->cells[k].config == (int)c && an->cells[k].m[metric][0].desc.n > 0)
                pos[c] = 0;
    for (size_t c = 0; c < ds->n_configs; c++)
        n += pos[c] >= 0;
    /* narrower labels when many configurations share the width */
    size_t width = n <= 4 ? 24 : n <= 8 ? 16 : 10;
    n = 0;
    for (size_t c = 0; c < ds->n_configs; c++) {
        if (pos[c] < 0)
            continue;
        pos[c] = (int)n++;
        tdm_buf_printf(configs, "%d ", pos[c]);
        int l = dat_wrapped(configs, ds->configs[c], width);
        if (l > *lines)
            *lines = l;
    }
    return n;
}

/* Metrics whose values cannot leave [0, 100] %: their intervals must not either. The
 * percentile bootstrap of a mean stays inside the range of the data, so it is drawn for
 * these; a Student-t interval (mean +- t sd / sqrt n) is symmetric and reaches past the
 * bound when runs crowd against it (legacy efficiency near 100 %, runs of one cell at 68
 * and 95 %). Efficiency is 100 at perfect parallelism and cannot exceed it but through
 * measurement noise, which the bootstrap keeps as the data has it. */
static bool bounded_pct(int metric)
{
    return metric == TDM_M_EFFICIENCY || metric == TDM_M_LEGACY_EFFICIENCY;
}

/* The interval drawn for a cell: the bootstrap one for a bounded metric, clipped to
 * [0, 100] in the rare case it still reaches out (data outside the bounds), else the
 * Student-t one. An undefined interval (n < 2) is the mean itself. Returns whether a
 * bound was clipped. */
static bool drawn_interval(const tdm_rep_sample *s, int metric, double *lo, double *hi)
{
    const tdm_stats_ci *ci = bounded_pct(metric) ? &s->ci_boot : &s->ci_t;
    *lo = isnan(ci->lo) ? s->desc.mean : ci->lo;
    *hi = isnan(ci->hi) ? s->desc.mean : ci->hi;
    bool clipped = false;
    if (bounded_pct(metric)) {
        if (*lo < 0) {
            *lo = 0;
            clipped = true;
        }
        if (*hi > 100) {
            *hi = 100;
            clipped = true;
        }
    }
    return clipped;
}

/* strip.gp / lines.gp data for a run-level metric; returns the number of variants. */
static size_t run_metric_data(const tdm_rep_analysis *an, int metric, const char *out_dir, const char *name,
                              bool points, int *label_lines, double *ylo, double *yhi, char *err, size_t errlen,
                              int *rc)
{
    *ylo = INFINITY;
    *yhi = -INFINITY;
    const tdm_rep_dataset *ds = an->ds;
    *rc = 0;
    int *pos = malloc((ds->n_configs ? ds->n_configs : 1) * sizeof *pos);
    size_t *vidx = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *vidx);
    if (!pos || !vidx) {
        free(pos);
        free(vidx);
        *rc = -1;
        return 0;
    }
    tdm_buf cfg = {0}, pts = {0}, means = {0};
    config_positions(an, metric, pos, &cfg, label_lines);
    size_t nv = 0;
    for (size_t v = 0; v < ds->n_variants; v++)
        if (variant_has(an, (int)v, metric, 0))
            vidx[nv++] = v;
    for (size_t i = 0; i < nv; i++) {
        int v = (int)vidx[i];
        if (i) {
            tdm_buf_append_str(&pts, "\n\n");
            tdm_buf_append_str(&means, "\n\n");
        }
        dat_title(&pts, ds->variants[v].label);
        dat_title(&means, ds->variants[v].label);
        for (size_t c = 0; c < ds->n_cells; c++) {
            const tdm_rep_cell *cell = &ds->cells[c];
            if (cell->variant != v || pos[cell->config] < 0)
                continue;
            /* runs as dots just left of the slot's centre, the mean and CI just right */
            double x = pos[cell->config] + (points ? slot(i, nv) + 0.022 : 0.25 * slot(i, nv));
            size_t k = 0;
            for (size_t r = 0; r < cell->n_runs; r++) {
                double y = ds->runs[cell->runs[r]].v[metric];
                if (!isfinite(y))
                    continue;
                *ylo = fmin(*ylo, y);
                *yhi = fmax(*yhi, y);
                /* a small fixed spread, so runs with equal values stay distinguishable */
                dat_num(&pts, x - 0.045 + 0.009 * (double)((int)(k++ % 5) - 2));
                tdm_buf_append_str(&pts, " ");
                dat_num(&pts, y);
                tdm_buf_append_str(&pts, "\n");
            }
            const tdm_rep_sample *s = &an->cells[c].m[metric][0];
            if (s->desc.n == 0)
                continue;
            double lo, hi;
            bool clipped = drawn_interval(s, metric, &lo, &hi);
            *ylo = fmin(*ylo, lo);
            *yhi = fmax(*yhi, hi);
            dat_num(&means, x);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, s->desc.mean);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, lo);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, hi);
            tdm_buf_append_str(&means, clipped ? " 1\n" : " 0\n");
        }
    }
    char fname[256];
    if (nv > 0) {
        snprintf(fname, sizeof fname, "%s_configs.dat", name);
        if (write_dat(out_dir, fname, &cfg, err, errlen))
            *rc = -1;
        snprintf(fname, sizeof fname, "%s_means.dat", name);
        if (write_dat(out_dir, fname, &means, err, errlen))
            *rc = -1;
        if (points) {
            snprintf(fname, sizeof fname, "%s_points.dat", name);
            if (write_dat(out_dir, fname, &pts, err, errlen))
                *rc = -1;
        }
    }
    tdm_buf_free(&cfg);
    tdm_buf_free(&means);
    tdm_buf_free(&pts);
    free(pos);
    free(vidx);
    return nv;
}

/* The agent counts N of the runs with the metric in configuration c: a bit per N up to
 * 63 (a larger N is counted as 63, which only coarsens the reference line drawn). */
static uint64_t config_agent_counts(const tdm_rep_analysis *an, int metric, size_t c)
{
    const tdm_rep_dataset *ds = an->ds;
    uint64_t set = 0;
    for (size_t k = 0; k < ds->n_cells; k++) {
        if (ds->cells[k].config != (int)c)
            continue;
        for (size_t r = 0; r < ds->cells[k].n_runs; r++) {
            const tdm_rep_run *run = &ds->runs[ds->cells[k].runs[r]];
            if (isfinite(run->v[metric]) && run->n_agents > 0)
                set |= UINT64_C(1) << (run->n_agents < 63 ? run->n_agents : 63);
        }
    }
    return set;
}

/* <name>_nogain.dat for strip.gp: per configuration and agent count N, a segment across
 * the configuration's width at 100/N % ("x0 y dx 0", gnuplot vectors): the efficiency of
 * no gain from running together, and the legacy efficiency of agents that ran one after
 * another. *lo, *hi: the lowest and highest such value, *n_same: N when every
 * configuration has the same one, else 0. Returns the number of segments, -1 when the
 * file cannot be written. */
static int nogain_data(const tdm_rep_analysis *an, int metric, const char *out_dir, const char *name, double *lo,
                       double *hi, size_t *n_same, char *err, size_t errlen)
{
    const tdm_rep_dataset *ds = an->ds;
    int *pos = malloc((ds->n_configs ? ds->n_configs : 1) * sizeof *pos);
    if (!pos)
        return -1;
    tdm_buf cfg = {0}, b = {0};
    int lines;
    config_positions(an, metric, pos, &cfg, &lines);
    tdm_buf_free(&cfg);
    *lo = INFINITY;
    *hi = -INFINITY;
    *n_same = 0;
    bool same = true;
    int n = 0;
    for (size_t c = 0; c < ds->n_configs; c++) {
        if (pos[c] < 0)
            continue;
        uint64_t set = config_agent_counts(an, metric, c);
        for (unsigned agents = 1; agents < 64; agents++) {
            if (!(set & (UINT64_C(1) << agents)))
                continue;
            double y = 100.0 / (double)agents;
            *lo = fmin(*lo, y);
            *hi = fmax(*hi, y);
            if (*n_same && *n_same != agents)
                same = false;
            *n_same = agents;
            dat_num(&b, (double)pos[c] - 0.48);
            tdm_buf_append_str(&b, " ");
            dat_num(&b, y);
            tdm_buf_append_str(&b, " 0.96 0\n");
            n++;
        }
    }
    if (!same)
        *n_same = 0;
    free(pos);
    char fname[256];
    snprintf(fname, sizeof fname, "%s_nogain.dat", name);
    if (n > 0 && write_dat(out_dir, fname, &b, err, errlen))
        return -1;
    tdm_buf_free(&b);
    return n;
}

/* The y range of a strip or lines figure: the data's (runs and drawn intervals) with an
 * 8 % margin each side, widened to take in a reference value only when that at most
 * doubles the span, so the figure zooms on the data rather than on a reference far from
 * it. shown[i]: reference i lies inside the final range. */
static void fig_yrange(double *ylo, double *yhi, const double *ref, size_t nref, bool *shown)
{
    double span = *yhi - *ylo;
    if (!(span > 0))
        span = fmax(0.05 * fabs(*yhi), 1e-3);
    double lo = *ylo - 0.08 * span, hi = *yhi + 0.08 * span;
    for (size_t i = 0; i < nref; i++) {
        if (!isfinite(ref[i]))
            continue;
        if (ref[i] < lo && lo - ref[i] <= span)
            lo = ref[i] - 0.04 * span;
        if (ref[i] > hi && ref[i] - hi <= span)
            hi = ref[i] + 0.04 * span;
    }
    for (size_t i = 0; i < nref; i++)
        shown[i] = isfinite(ref[i]) && ref[i] >= lo && ref[i] <= hi;
    *ylo = lo;
    *yhi = hi;
}

/* A reference's key title: its words, and where it is when it lies outside the range. */
static void ref_title(tdm_buf *v, const char *var, const char *words, bool shown, bool above)
{
    char t[300];
    snprintf(t, sizeof t, "%s%s", words, shown ? "" : above ? " (above, off the plot)" : " (below, off the plot)");
    gp_str(v, var, t);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Steps drawn in panels of their own; later steps share the last panel. */
#define ECDF_MAX_PANELS 4

/* The values of a per-call metric for one variant, concurrent phase, of the calls at
 * step `step` (the last panel takes every later step too). The same calls as
 * tdm_rep_values picks (tdm_rep_call_counts, a finite value), split by step:
 * an agent's first call carries its whole prompt, later ones a growing context. */
static double *step_values(const tdm_rep_dataset *ds, int variant, int metric, int step, bool and_later, size_t *n)
{
    size_t all;
    *n = 0;
    double *x = tdm_rep_values(ds, variant, -1, -1, metric, TDM_REP_CONC, &all, NULL);
    free(x);
    if (all == 0)
        return NULL;
    double *v = malloc(all * sizeof *v);
    if (!v)
        return NULL;
    for (size_t c = 0; c < ds->n_cells; c++) {
        const tdm_rep_cell *cell = &ds->cells[c];
        if (cell->variant != variant)
            continue;
        for (size_t k = 0; k < cell->n_runs; k++) {
            const tdm_rep_run *r = &ds->runs[cell->runs[k]];
            for (size_t i = r->first_call; i < r->first_call + r->n_calls && *n < all; i++) {
                const tdm_rep_call *call = &ds->calls[i];
                if (!tdm_rep_call_counts(call, TDM_REP_CONC))
                    continue;
                if (call->step != step && !(and_later && call->step > step))
                    continue;
                double y = metric == TDM_M_TTFT ? call->m.ttft_ms : call->m.itl_p50_ms;
                if (isfinite(y))
                    v[(*n)++] = y;
            }
        }
    }
    if (*n == 0) {
        free(v);
        return NULL;
    }
    return v;
}

/* The number of steps of the concurrent phase's calls (highest step + 1), at least 1. */
static int step_count(const tdm_rep_dataset *ds)
{
    int steps = 1;
    for (size_t i = 0; i < ds->n_calls; i++)
        if (ds->calls[i].phase == TDM_PHASE_CONCURRENT && ds->calls[i].ok && ds->calls[i].step >= steps)
            steps = ds->calls[i].step + 1;
    return steps;
}

/* ecdf.gp data for a per-call metric (concurrent phase); returns the number of
 * variants. One panel per step (an agent's first and later calls differ), each with one
 * block per variant, step-major: block p * nvar + i. A variant without calls at a step
 * gets a block with one undefined point, so the indices stay aligned. The x axis spans
 * every call, so no curve is cut; it is logarithmic when the largest value is more than
 * 5 times the smallest, so a few slow calls do not squeeze the bulk into a line. */
static size_t ecdf_data(const tdm_rep_analysis *an, int metric, const char *out_dir, const char *name, bool *logx,
                        double *xlo, double *xhi, int *panels, char *err, size_t errlen, int *rc)
{
    const tdm_rep_dataset *ds = an->ds;
    *rc = 0;
    int steps = metric == TDM_M_TTFT || metric == TDM_M_ITL_P50 ? step_count(ds) : 1;
    *panels = steps < ECDF_MAX_PANELS ? steps : ECDF_MAX_PANELS;
    size_t nv = 0;
    int *vs = malloc((ds->n_variants ? ds->n_variants : 1) * sizeof *vs);
    if (!vs) {
        *rc = -1;
        return 0;
    }
    for (size_t v = 0; v < ds->n_variants; v++) {
        size_t n;
        double *x = tdm_rep_values(ds, (int)v, -1, -1, metric, TDM_REP_CONC, &n, NULL);
        free(x);
        if (n > 0)
            vs[nv++] = (int)v;
    }
    tdm_buf b = {0};
    *xlo = INFINITY;
    *xhi = -INFINITY;
    size_t blocks = 0;
    for (int p = 0; p < *panels; p++) {
        bool later = p == *panels - 1 && steps > *panels;
        for (size_t i = 0; i < nv; i++) {
            size_t n;
            double *x = steps > 1 ? step_values(ds, vs[i], metric, p, later, &n)
                                  : tdm_rep_values(ds, vs[i], -1, -1, metric, TDM_REP_CONC, &n, NULL);
            if (blocks++)
                tdm_buf_append_str(&b, "\n\n");
            tdm_buf title = {0};
            tdm_buf_printf(&title, "%s, %zu calls", ds->variants[vs[i]].label, n);
            dat_title(&b, tdm_buf_str(&title));
            tdm_buf_free(&title);
            if (n == 0) {
                tdm_buf_append_str(&b, "NaN NaN\n");
                continue;
            }
            qsort(x, n, sizeof *x, cmp_double);
            *xlo = fmin(*xlo, x[0]);
            *xhi = fmax(*xhi, x[n - 1]);
            dat_num(&b, x[0]);
            tdm_buf_append_str(&b, " 0\n");
            for (size_t k = 0; k < n; k++) {
                dat_num(&b, x[k]);
                tdm_buf_append_str(&b, " ");
                dat_num(&b, (double)(k + 1) / (double)n);
                tdm_buf_append_str(&b, "\n");
            }
            free(x);
        }
    }
    free(vs);
    *logx = nv > 0 && *xlo > 0 && *xhi / *xlo > 5;
    if (!isfinite(*xlo)) {
        *xlo = *xhi = NAN;
    } else if (*logx) {
        double f = pow(*xhi / *xlo, 0.03);
        *xlo /= f;
        *xhi *= f;
    } else {
        /* the margin; a single value gets one of its own */
        double pad = *xhi > *xlo ? 0.03 * (*xhi - *xlo) : fmax(0.05 * fabs(*xlo), 1e-3);
        *xlo -= pad;
        *xhi += pad;
    }
    char fname[256];
    snprintf(fname, sizeof fname, "%s.dat", name);
    if (nv > 0 && write_dat(out_dir, fname, &b, err, errlen))
        *rc = -1;
    tdm_buf_free(&b);
    return nv;
}

/* ---- running gnuplot -------------------------------------------------------------- */

/* Runs argv in cwd; stdout and stderr go to capture (truncated to cap - 1 bytes).
 * Returns the exit status, 127 when the program could not be run, -1 on fork failure. */
static int run(char *const argv[], const char *cwd, char *capture, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    char tmp[4096];
    ssize_t r;
    while ((r = read(fds[0], tmp, sizeof tmp)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        size_t take = (size_t)r;
        if (cap && len + take > cap - 1)
            take = cap - 1 - len;
        if (cap) {
            memcpy(capture + len, tmp, take);
            len += take;
        }
    }
    if (cap)
        capture[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool nonempty_file(const char *dir, const char *name, const char *suffix)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s%s", name, suffix);
    char *p = tdm_path_join(dir, rel);
    struct stat st;
    bool ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(p);
    return ok;
}

/* Records the figure's gnuplot variables and renders it when gnuplot and the scripts
 * are there (figs->gnuplot, plots_dir); otherwise says why not. */
static void render(tdm_rep_figures *figs, tdm_rep_figure *f, const char *out_dir, const char *plots_dir,
                   const char *vars, FILE *log)
{
    tdm_buf e = {0}, script = {0}, own = {0};
    gp_str(&own, "out", f->name);
    tdm_buf_append_str(&own, vars);
    f->vars = tdm_buf_steal(&own);
    if (!plots_dir || !figs->gnuplot) {
        f->problem = tdm_rep_strdup(!figs->gnuplot ? "gnuplot not found" : "the plots/ scripts were not found");
        return;
    }
    gp_str(&e, "dir", plots_dir);
    tdm_buf_append_str(&e, "dir=dir.'/'; ");
    tdm_buf_append_str(&e, f->vars ? f->vars : "");
    tdm_buf_printf(&script, "%s/%s.gp", plots_dir, f->script);
    char *argv[] = {"gnuplot", "-e", (char *)tdm_buf_str(&e), (char *)tdm_buf_str(&script), NULL};
    char out[2048];
    int rc = run(argv, out_dir, out, sizeof out);
    if (rc == 0 && nonempty_file(out_dir, f->name, ".svg") && nonempty_file(out_dir, f->name, ".png")) {
        f->rendered = true;
        if (out[0] && log)
            fprintf(log, "tandem-report: gnuplot (%s): %s", f->name, out);
    } else {
        char msg[600];
        char *nl = strchr(out, '\n');
        if (nl && nl[1])
            *nl = ' ';
        snprintf(msg, sizeof msg, "gnuplot failed (exit %d): %.500s", rc, out);
        msg[strcspn(msg, "\n")] = '\0';
        f->problem = tdm_rep_strdup(msg);
        if (log)
            fprintf(log, "tandem-report: figure %s not rendered: %s\n", f->name, msg);
    }
    tdm_buf_free(&e);
    tdm_buf_free(&script);
}

/* ---- the figures ----------------------------------------------------------------------- */

/* What a strip figure of a bounded percentage draws besides its data: the perfect line
 * at 100 % and the 100/N % segments, with their words for the key. */
typedef struct strip_refs {
    const char *perfect;        /* "100% = perfect parallelism" */
    const char *nogain;         /* "no gain" ("N = 2: 50%" is added) */
} strip_refs;

static int strip_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                     int metric, const char *name, const char *caption, const char *ylab, const char *ttl,
                     const strip_refs *refs, const char *why_missing, FILE *log, char *err, size_t errlen)
{
    int rc, lines;
    char data[512];
    double ylo, yhi;
    size_t nv = run_metric_data(an, metric, out_dir, name, true, &lines, &ylo, &yhi, err, errlen, &rc);
    if (rc)
        return -1;
    double ng_lo = NAN, ng_hi = NAN;
    size_t n_same = 0;
    int n_ng = nv ? nogain_data(an, metric, out_dir, name, &ng_lo, &ng_hi, &n_same, err, errlen) : 0;
    if (n_ng < 0)
        return -1;
    snprintf(data, sizeof data, "%s_points.dat, %s_means.dat, %s_configs.dat%s%s", name, name, name,
             n_ng ? ", " : "", n_ng ? name : "");
    if (n_ng)
        snprintf(data + strlen(data), sizeof data - strlen(data), "_nogain.dat");
    tdm_rep_figure *f = add_fig(figs, name, caption, "strip", nv ? data : "");
    if (!f)
        return -1;
    if (nv == 0) {
        f->problem = tdm_rep_strdup(why_missing);
        return 0;
    }
    /* the range takes in the no-gain line nearest the data and the perfect line when near */
    double ref[3] = {100.0, n_ng ? ng_lo : NAN, n_ng ? ng_hi : NAN};
    bool shown[3];
    fig_yrange(&ylo, &yhi, ref, 3, shown);
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; bm=%d; ylo=%.6g; yhi=%.6g; ", nv, lines + 3, ylo, yhi);
    gp_str(&v, "ylab", ylab);
    gp_str(&v, "ttl", ttl);
    tdm_buf_append_str(&v, "ref=100; ");
    ref_title(&v, "reflab", refs->perfect, shown[0], true);
    if (n_ng) {
        char words[200];
        if (n_same)
            snprintf(words, sizeof words, "%s: 100/N = %.4g%% at N = %zu", refs->nogain, 100.0 / (double)n_same,
                     n_same);
        else
            snprintf(words, sizeof words, "%s: 100/N %% (N agents per configuration)", refs->nogain);
        tdm_buf_append_str(&v, "nogain=1; ");
        ref_title(&v, "nglab", words, shown[1] || shown[2], ng_lo > yhi);
    }
    if (bounded_pct(metric))
        gp_str(&v, "cilab", "mean, 95% bootstrap CI");
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

static int ecdf_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                    int metric, const char *name, const char *caption, const char *xlab, const char *ttl, FILE *log,
                    char *err, size_t errlen)
{
    int rc, panels;
    bool logx;
    double xlo, xhi;
    size_t nv = ecdf_data(an, metric, out_dir, name, &logx, &xlo, &xhi, &panels, err, errlen, &rc);
    if (rc)
        return -1;
    char data[300];
    snprintf(data, sizeof data, "%s.dat", name);
    tdm_buf cap = {0};
    tdm_buf_append_str(&cap, caption);
    if (panels > 1)
        tdm_buf_append_str(&cap, "; one panel per step of the agents (their first call, their second, ...)");
    tdm_buf_append_str(&cap, logx ? "; the x axis spans every call, on a log scale" : "; the x axis spans every call");
    tdm_rep_figure *f = add_fig(figs, name, tdm_buf_str(&cap), "ecdf", nv ? data : "");
    tdm_buf_free(&cap);
    if (!f)
        return -1;
    if (nv == 0) {
        f->problem = tdm_rep_strdup("no call has this metric (imported seed runs keep only each call's first token)");
        return 0;
    }
    int steps = step_count(an->ds);
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; npanel=%d; logx=%d; xlo=%.6g; xhi=%.6g; ", nv, panels, logx ? 1 : 0, xlo, xhi);
    gp_str(&v, "xlab", xlab);
    gp_str(&v, "ttl", ttl);
    for (int p = 0; p < panels && panels > 1; p++) {
        char var[16], words[96];
        snprintf(var, sizeof var, "pt%d", p);
        if (p == panels - 1 && steps > panels)
            snprintf(words, sizeof words, "steps %d to %d (each agent's call %d and later)", p + 1, steps, p + 1);
        else
            snprintf(words, sizeof words, "step %d (each agent's call %d)", p + 1, p + 1);
        gp_str(&v, var, words);
    }
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

static int speedup_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                       FILE *log, char *err, size_t errlen)
{
    const char *name = "fig_speedup";
    int rc, lines;
    double ylo, yhi;
    size_t nv = run_metric_data(an, TDM_M_SPEEDUP, out_dir, name, false, &lines, &ylo, &yhi, err, errlen, &rc);
    if (rc)
        return -1;
    tdm_rep_figure *f = add_fig(figs, name,
                                "Speedup T_seq / T_conc against configuration: mean per cell with its 95% CI "
                                "(Student t)",
                                "lines", nv ? "fig_speedup_means.dat, fig_speedup_configs.dat" : "");
    if (!f)
        return -1;
    if (nv == 0) {
        f->problem = tdm_rep_strdup("no run has both a sequential and a concurrent phase");
        return 0;
    }
    /* the ideal line only when every run has the same number of agents */
    size_t agents = 0;
    bool same = true;
    for (size_t r = 0; r < an->ds->n_runs; r++) {
        if (!isfinite(an->ds->runs[r].v[TDM_M_SPEEDUP]))
            continue;
        if (agents && agents != an->ds->runs[r].n_agents)
            same = false;
        agents = an->ds->runs[r].n_agents;
    }
    bool ideal = same && agents > 1;
    double ref[2] = {1.0, ideal ? (double)agents : NAN};
    bool shown[2];
    fig_yrange(&ylo, &yhi, ref, 2, shown);
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; bm=%d; ylo=%.6g; yhi=%.6g; ", nv, lines + 3, ylo, yhi);
    gp_str(&v, "ylab", "speedup T_seq / T_conc (mean, 95% CI)");
    gp_str(&v, "ttl", "Speedup from running the agents together, per configuration");
    tdm_buf_append_str(&v, "ref=1; ");
    ref_title(&v, "reflab", "1 = no gain", shown[0], 1.0 > yhi);
    if (ideal) {
        tdm_buf_printf(&v, "ref2=%zu; ", agents);
        char lab[64];
        snprintf(lab, sizeof lab, "%zu = ideal for %zu agents", agents, agents);
        ref_title(&v, "reflab2", lab, shown[1], (double)agents > yhi);
    }
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

/* The GPU timeline of one run (gpu_timeline.gp); no figure at all when no run has GPU
 * telemetry, so reports without it stay as they were. */
static int gpu_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                   FILE *log, char *err, size_t errlen)
{
    const char *name = "fig_gpu_timeline";
    if (an->gpu_runs == 0)
        return 0;
    double sp[TDM_REP_NPHASE][2];
    size_t n_gpus = 0;
    char why[1024] = "";
    long idx = tdm_rep_gpu_timeline_data(an, out_dir, name, sp, &n_gpus, why, sizeof why);
    if (idx == -3) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    const tdm_rep_dataset *ds = an->ds;
    tdm_buf cap = {0};
    if (idx >= 0) {
        const tdm_rep_run *r = &ds->runs[idx];
        const tdm_rep_dir *d = &ds->dirs[r->dir];
        tdm_buf_printf(&cap, "GPU utilisation (%%, left axis) and power (W, right axis) over one run: %s, "
                             "configuration %s, %s run %d (the first run with GPU telemetry); the sequential and "
                             "concurrent phases are shaded",
                       ds->variants[ds->cells[r->cell].variant].label, d->configuration, d->path, r->run);
    } else {
        tdm_buf_append_str(&cap, "GPU utilisation and power over the first run with GPU telemetry");
    }
    tdm_rep_figure *f = add_fig(figs, name, tdm_buf_str(&cap), "gpu_timeline", idx >= 0 ? "fig_gpu_timeline.dat" : "");
    tdm_buf_free(&cap);
    if (!f)
        return -1;
    f->caption_from_results = idx >= 0;
    if (idx < 0) {
        f->problem = tdm_rep_strdup(why);
        return 0;
    }
    tdm_buf v = {0};
    tdm_buf_printf(&v, "ngpu=%zu; ", n_gpus);
    static const char *const keys[TDM_REP_NPHASE][2] = {{"seq0", "seq1"}, {"conc0", "conc1"}};
    for (int ph = 0; ph < TDM_REP_NPHASE; ph++)
        if (isfinite(sp[ph][0]) && isfinite(sp[ph][1]))
            tdm_buf_printf(&v, "%s=%.6f; %s=%.6f; ", keys[ph][0], sp[ph][0], keys[ph][1], sp[ph][1]);
    gp_str(&v, "ttl", "GPU utilisation and power over one run, phases shaded");
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

/* The gain curve (curve.gp): fig_gain_curve.dat, one block per line of the analysis
 * (gain_curve.c), and two figures drawn from it: efficiency and aggregate tokens/s
 * against N, and TTFT p50/p99 and per-agent slowdown against N. No figure at all when
 * the runs share one N, so such reports stay as they were. A point with one run has no
 * interval: its bar is drawn at the mean rather than the point dropped. */
static int curve_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                     FILE *log, char *err, size_t errlen)
{
    const tdm_rep_curve *cv = &an->curve;
    if (cv->n_lines == 0)
        return 0;
    tdm_buf d = {0}, xt = {0};
    size_t nmin = SIZE_MAX, nmax = 0;
    double yhi = 105.0;
    uint64_t seen = 0; /* a bit per N of the data, up to 63 */
    for (size_t i = 0; i < cv->n_lines; i++) {
        const tdm_rep_curve_line *l = &cv->lines[i];
        if (i)
            tdm_buf_append_str(&d, "\n\n");
        dat_title(&d, l->label);
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_curve_point *p = &l->points[k];
            const tdm_rep_curve_value *v[] = {&p->efficiency, &p->tokens_s, NULL, &p->slowdown};
            dat_num(&d, (double)p->n_agents);
            for (int j = 0; j < 4; j++) {
                if (!v[j]) {
                    tdm_buf_append_str(&d, " ");
                    dat_num(&d, p->ttft.p50);
                    tdm_buf_append_str(&d, " ");
                    dat_num(&d, p->ttft.p99);
                    continue;
                }
                dat_value(&d, v[j]);
                if (j == 0 && isfinite(v[j]->hi))
                    yhi = fmax(yhi, 1.05 * v[j]->hi);
            }
            tdm_buf_append_str(&d, "\n");
            nmin = p->n_agents < nmin ? p->n_agents : nmin;
            nmax = p->n_agents > nmax ? p->n_agents : nmax;
            if (p->n_agents < 64)
                seen |= (uint64_t)1 << p->n_agents;
        }
    }
    if (write_dat(out_dir, "fig_gain_curve.dat", &d, err, errlen) != 0) {
        tdm_buf_free(&xt);
        return -1;
    }
    /* tics at the N of the data (up to 63), else gnuplot's own powers of 2 */
    tdm_buf_append_str(&xt, "(");
    for (size_t n = 1; n < 64; n++)
        if (seen & ((uint64_t)1 << n))
            tdm_buf_printf(&xt, "%s%zu", xt.len > 1 ? "," : "", n);
    tdm_buf_append_str(&xt, ")");
    static const struct {
        const char *name, *caption, *ttl;
    } figs_of[2] = {
        {"fig_gain_curve",
         "The gain curve: efficiency (left; mean with its 95% bootstrap CI) and aggregate output tokens/s of the "
         "concurrent phase (right; mean with its 95% t CI) against the number of agents N, one line per variant "
         "and server layout; dashed: 100% = perfect parallelism, dotted: 100/N % = no gain",
         "What running N agents together gains: efficiency and aggregate tokens/s against N"},
        {"fig_gain_latency",
         "Latency and slowdown against N: TTFT p50 (solid) and p99 (dotted) over the concurrent phase's calls "
         "(left), and each agent's slowdown T_conc_i / T_seq_i (right; mean with its 95% t CI); dashed: 1 = no "
         "slowdown, dotted: N = one fully shared device",
         "What N agents cost each other: TTFT and per-agent slowdown against N"},
    };
    for (int k = 0; k < 2; k++) {
        tdm_rep_figure *f = add_fig(figs, figs_of[k].name, figs_of[k].caption, "curve", "fig_gain_curve.dat");
        if (!f) {
            tdm_buf_free(&xt);
            return -1;
        }
        tdm_buf v = {0};
        tdm_buf_printf(&v, "nvar=%zu; kind=%d; xlo=%.6g; xhi=%.6g; yhi=%.6g; ", cv->n_lines, k + 1,
                       (double)nmin / 1.3, (double)nmax * 1.3, yhi);
        gp_str(&v, "dat", "fig_gain_curve.dat");
        gp_str(&v, "xt", xt.len > 2 ? tdm_buf_str(&xt) : "autofreq");
        gp_str(&v, "ttl", figs_of[k].ttl);
        render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
        tdm_buf_free(&v);
    }
    tdm_buf_free(&xt);
    return 0;
}

/* Latency against offered load (open_loop.gp): fig_open_loop.dat, one block per line of
 * the analysis (open_loop.c), and one figure of two panels: TTFT from the due instant
 * (p50, p99) against the offered rate λ, and the achieved rate against the offered one
 * with the line y = x, which a line keeps to while the servers keep up. No figure at all
 * when no run is open-loop, so other reports stay as they were. */
static int open_loop_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir,
                         const char *plots_dir, FILE *log, char *err, size_t errlen)
{
    const tdm_rep_open_loop *ol = &an->open_loop;
    if (ol->n_lines == 0)
        return 0;
    tdm_buf d = {0};
    double xhi = 0, tlo = INFINITY, thi = 0;
    for (size_t i = 0; i < ol->n_lines; i++) {
        const tdm_rep_ol_line *l = &ol->lines[i];
        if (i)
            tdm_buf_append_str(&d, "\n\n");
        dat_title(&d, l->label);
        for (size_t k = 0; k < l->n_points; k++) {
            const tdm_rep_ol_point *p = &l->points[k];
            const tdm_rep_curve_value *v[] = {&p->offered, &p->achieved};
            dat_num(&d, p->rate);
            for (int j = 0; j < 2; j++) {
                dat_value(&d, v[j]);
                if (isfinite(v[j]->hi))
                    xhi = fmax(xhi, v[j]->hi);
            }
            const tdm_rep_tail *q = &p->q[TDM_REP_OL_TTFT_DUE];
            tdm_buf_append_str(&d, " ");
            dat_num(&d, q->p50);
            tdm_buf_append_str(&d, " ");
            dat_num(&d, q->p99);
            tdm_buf_printf(&d, " %d\n", l->knee == (long)k);
            xhi = fmax(xhi, p->rate);
            if (isfinite(q->p50) && q->p50 > 0)
                tlo = fmin(tlo, q->p50);
            if (isfinite(q->p99))
                thi = fmax(thi, q->p99);
        }
    }
    if (write_dat(out_dir, "fig_open_loop.dat", &d, err, errlen) != 0)
        return -1;
    tdm_rep_figure *f = add_fig(figs, "fig_open_loop",
                                "Latency against offered load: TTFT from the due instant, p50 (solid) and p99 "
                                "(dotted), against the offered rate λ (left; open circle: the knee), and the "
                                "achieved rate against the offered rate (right; mean with its 95% t CI), one line "
                                "per variant and arrival process; dashed: achieved = offered, which a line keeps to "
                                "while the servers keep up",
                                "open_loop", "fig_open_loop.dat");
    if (!f)
        return -1;
    tdm_buf v = {0};
    /* a log y axis once the tail spans more than a factor of 20: past the knee the queue
     * makes p99 seconds where p50 below it is tens of milliseconds */
    tdm_buf_printf(&v, "nvar=%zu; xhi=%.6g; logy=%d; ", ol->n_lines, xhi > 0 ? 1.1 * xhi : 1.0,
                   isfinite(tlo) && thi > 20.0 * tlo);
    gp_str(&v, "dat", "fig_open_loop.dat");
    gp_str(&v, "ttl", "Latency against offered load: TTFT from due and achieved rate against the offered rate");
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

/* Makespan against critical path (workflows.gp): fig_workflows.dat, one block per variant
 * with workflow runs, a point per run with both numbers (the core's, as workflows.c
 * carries them), and fig_workflows_labels.dat, each workflow's name beside its runs. Both
 * axes start at 0 and share one range, so the dashed y = x is the diagonal and a point's
 * slope from the origin is its efficiency. No figure at all when no run is a workflow, so
 * other reports stay as they were. */
static int workflows_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir,
                         const char *plots_dir, FILE *log, char *err, size_t errlen)
{
    const tdm_rep_workflows *wf = &an->workflows;
    const tdm_rep_dataset *ds = an->ds;
    if (wf->n_configs == 0)
        return 0;
    tdm_buf d = {0}, lab = {0};
    double hi = 0;
    size_t nvar = 0;
    for (size_t v = 0; v < ds->n_variants; v++) {
        bool any = false;
        for (size_t i = 0; i < wf->n_cells && !any; i++)
            any = wf->cells[i].variant == (int)v;
        if (!any)
            continue;
        if (nvar++)
            tdm_buf_append_str(&d, "\n\n");
        dat_title(&d, ds->variants[v].label);
        for (size_t i = 0; i < wf->n_runs; i++) {
            const tdm_rep_run *r = &ds->runs[wf->runs[i]];
            if (ds->cells[r->cell].variant != (int)v || !isfinite(r->critical_path_s) || !isfinite(r->makespan_s))
                continue;
            dat_num(&d, r->critical_path_s);
            tdm_buf_append_str(&d, " ");
            dat_num(&d, r->makespan_s);
            tdm_buf_append_str(&d, "\n");
            hi = fmax(hi, fmax(r->critical_path_s, r->makespan_s));
        }
    }
    for (size_t k = 0; k < wf->n_configs; k++) {
        const tdm_rep_wf_config *g = &wf->configs[k];
        double x = 0, y = INFINITY;
        size_t n = 0;
        for (size_t i = 0; i < wf->n_runs; i++) {
            const tdm_rep_run *r = &ds->runs[wf->runs[i]];
            if (ds->cells[r->cell].config != g->config || !isfinite(r->critical_path_s) || !isfinite(r->makespan_s))
                continue;
            x += r->critical_path_s;
            y = fmin(y, r->makespan_s);
            n++;
        }
        if (n == 0)
            continue;
        dat_num(&lab, x / (double)n);
        tdm_buf_append_str(&lab, " ");
        dat_num(&lab, y);
        tdm_buf_append_str(&lab, " ");
        dat_title(&lab, ds->configs[g->config]);
    }
    if (write_dat(out_dir, "fig_workflows.dat", &d, err, errlen) != 0) {
        tdm_buf_free(&lab);
        return -1;
    }
    if (write_dat(out_dir, "fig_workflows_labels.dat", &lab, err, errlen) != 0)
        return -1;
    tdm_rep_figure *f = add_fig(figs, "fig_workflows",
                                "Workflows: each run's makespan (the concurrent phase, release to the last step "
                                "done) against its critical path (the longest chain of dependent steps, each at "
                                "its time alone), one point per run, colour and shape by variant, each workflow "
                                "named beside its runs; dashed: makespan = critical path, where every step ran as "
                                "soon as its inputs existed and no slower than alone; dotted: makespan = 2 x critical "
                                "path, half the ideal. Above the dashed line time was lost waiting or sharing; "
                                "critical path / makespan is the workflow efficiency",
                                "workflows", "fig_workflows.dat, fig_workflows_labels.dat");
    if (!f)
        return -1;
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; hi=%.6g; ", nvar, hi > 0 ? 1.1 * hi : 1.0);
    gp_str(&v, "dat", "fig_workflows.dat");
    gp_str(&v, "lab", "fig_workflows_labels.dat");
    gp_str(&v, "ttl", "Workflows: makespan against critical path, one point per run");
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

static char *gnuplot_version(void)
{
    char out[256];
    char *argv[] = {"gnuplot", "--version", NULL};
    if (run(argv, NULL, out, sizeof out) != 0)
        return NULL;
    out[strcspn(out, "\n")] = '\0';
    return out[0] ? strdup(out) : NULL;
}

int tdm_rep_figures_make(const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                         tdm_rep_figures *figs, FILE *log, char *err, size_t errlen)
{
    memset(figs, 0, sizeof *figs);
    figs->gnuplot = gnuplot_version();
    if (!figs->gnuplot && log)
        fprintf(log, "tandem-report: gnuplot not found: the figures' data files are written, the figures are not "
                     "rendered (install gnuplot and run the report again)\n");
    if (figs->gnuplot && !plots_dir && log)
        fprintf(log, "tandem-report: the gnuplot scripts (plots/*.gp) were not found: set TANDEM_PLOTS_DIR or pass "
                     "--plots-dir\n");
    char *abs_out = tdm_path_absolute(out_dir, TDM_PATH_RESOLVED);
    const char *od = abs_out ? abs_out : out_dir;
    int rc = 0;
    static const strip_refs eff_refs = {"100% = perfect parallelism", "no gain"};
    static const strip_refs legacy_refs = {"100% = complete overlap", "no overlap"};
    rc |= strip_fig(figs, an, od, plots_dir, TDM_M_EFFICIENCY, "fig_efficiency",
                    "Efficiency per variant and configuration: each run (dots), cell mean with its 95% bootstrap CI "
                    "(percentile, which stays inside 0-100%; bars); dashed: 100% = perfect parallelism, dotted: "
                    "100/N% = no gain (50% with 2 agents)",
                    "efficiency = 100 x T_seq / (N x T_conc)  (%)",
                    "Efficiency per variant and configuration (dots: runs; bars: mean and 95% bootstrap CI)",
                    &eff_refs, "no run has both a sequential and a concurrent phase", log, err, errlen);
    rc |= strip_fig(figs, an, od, plots_dir, TDM_M_LEGACY_EFFICIENCY, "fig_legacy_efficiency",
                    "Legacy efficiency (the seed's overlap measure, not a gain) per variant and configuration: each "
                    "run (dots), cell mean with its 95% bootstrap CI (percentile, which stays inside 0-100%; bars); "
                    "dashed: 100% = complete overlap, dotted: 100/N% = no overlap",
                    "legacy efficiency = 100 x sum T_conc_i / (N x T_conc)  (%)",
                    "Legacy efficiency: how evenly the agents overlapped (dots: runs; bars: mean and 95% bootstrap "
                    "CI)",
                    &legacy_refs, "no run has a concurrent phase", log, err, errlen);
    rc |= speedup_fig(figs, an, od, plots_dir, log, err, errlen);
    rc |= ecdf_fig(figs, an, od, plots_dir, TDM_M_TTFT, "fig_ttft_ecdf",
                   "Time to first token per variant, concurrent phase, all configurations (ECDF; cold loads and "
                   "failed calls left out)",
                   "time to first token, client side (ms)",
                   "Time to first token, concurrent phase (cold loads excluded)", log, err, errlen);
    rc |= ecdf_fig(figs, an, od, plots_dir, TDM_M_ITL_P50, "fig_itl_ecdf",
                   "Median inter-token latency of each call per variant, concurrent phase, all configurations (ECDF)",
                   "median inter-token latency of a call (ms)",
                   "Inter-token latency, concurrent phase: each call's median gap between tokens", log, err, errlen);
    rc |= gpu_fig(figs, an, od, plots_dir, log, err, errlen);
    rc |= curve_fig(figs, an, od, plots_dir, log, err, errlen);
    rc |= open_loop_fig(figs, an, od, plots_dir, log, err, errlen);
    rc |= workflows_fig(figs, an, od, plots_dir, log, err, errlen);
    free(abs_out);
    return rc ? -1 : 0;
}

void tdm_rep_figures_free(tdm_rep_figures *figs)
{
    for (size_t i = 0; i < figs->n; i++) {
        free(figs->f[i].name);
        free(figs->f[i].caption);
        free(figs->f[i].script);
        free(figs->f[i].data);
        free(figs->f[i].vars);
        free(figs->f[i].problem);
    }
    free(figs->f);
    free(figs->gnuplot);
    memset(figs, 0, sizeof *figs);
}
