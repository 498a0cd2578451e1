/* plots.c — the figures: their data files, written into the report directory from the
 * analysis, and gnuplot run on the committed scripts under plots/ (strip.gp, lines.gp,
 * ecdf.gp, gpu_timeline.gp) to render each as SVG and PNG. gnuplot missing or failing
 * never stops the report: the figure is recorded as not rendered, with the reason. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "report/output.h"
#include "report/values.h"

static const char *const SCRIPTS[] = {"common.gp", "strip.gp", "lines.gp", "ecdf.gp", "gpu_timeline.gp"};

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
            double lo = isnan(s->ci_t.lo) ? s->desc.mean : s->ci_t.lo;
            double hi = isnan(s->ci_t.hi) ? s->desc.mean : s->ci_t.hi;
            *ylo = fmin(*ylo, lo);
            *yhi = fmax(*yhi, hi);
            dat_num(&means, x);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, s->desc.mean);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, lo);
            tdm_buf_append_str(&means, " ");
            dat_num(&means, hi);
            tdm_buf_append_str(&means, "\n");
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ecdf.gp data for a per-call metric (concurrent phase); returns the number of
 * variants. The x axis spans the 5th to 95th percentile of all calls together, widened
 * by a quarter of that span on each side: a few extreme calls would otherwise squeeze
 * the bulk into one vertical line (the curves simply run off the edges). A log scale
 * when the values span more than a factor of 20. */
static size_t ecdf_data(const tdm_rep_analysis *an, int metric, const char *out_dir, const char *name, bool *logx,
                        double *xlo, double *xhi, char *err, size_t errlen, int *rc)
{
    const tdm_rep_dataset *ds = an->ds;
    *rc = 0;
    tdm_buf b = {0};
    size_t nv = 0, n_all = 0;
    double *all = NULL;
    for (size_t v = 0; v < ds->n_variants; v++) {
        size_t n;
        double *x = tdm_rep_values(ds, (int)v, -1, -1, metric, TDM_REP_CONC, &n, NULL);
        if (n == 0) {
            free(x);
            continue;
        }
        qsort(x, n, sizeof *x, cmp_double);
        if (nv++)
            tdm_buf_append_str(&b, "\n\n");
        tdm_buf title = {0};
        tdm_buf_printf(&title, "%s, %zu calls", ds->variants[v].label, n);
        dat_title(&b, tdm_buf_str(&title));
        tdm_buf_free(&title);
        dat_num(&b, x[0]);
        tdm_buf_append_str(&b, " 0\n");
        for (size_t i = 0; i < n; i++) {
            dat_num(&b, x[i]);
            tdm_buf_append_str(&b, " ");
            dat_num(&b, (double)(i + 1) / (double)n);
            tdm_buf_append_str(&b, "\n");
        }
        double *grown = realloc(all, (n_all + n) * sizeof *all);
        if (grown) {
            all = grown;
            memcpy(all + n_all, x, n * sizeof *x);
            n_all += n;
        }
        free(x);
    }
    *xlo = *xhi = NAN;
    if (n_all > 0) {
        qsort(all, n_all, sizeof *all, cmp_double);
        *xlo = tdm_stats_quantile_sorted(all, n_all, 0.05);
        *xhi = tdm_stats_quantile_sorted(all, n_all, 0.95);
    }
    free(all);
    *logx = nv > 0 && *xlo > 0 && *xhi / *xlo > 20;
    if (*logx) {
        *xlo /= 2;
        *xhi *= 2;
    } else if (isfinite(*xlo)) {
        /* the margin; a single value gets one of its own */
        double pad = *xhi > *xlo ? 0.25 * (*xhi - *xlo) : fmax(0.05 * fabs(*xlo), 1e-3);
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

static int strip_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                     int metric, const char *name, const char *caption, const char *ylab, const char *ttl,
                     const char *reflab, const char *why_missing, FILE *log, char *err, size_t errlen)
{
    int rc, lines;
    char data[512];
    snprintf(data, sizeof data, "%s_points.dat, %s_means.dat, %s_configs.dat", name, name, name);
    double ylo, yhi;
    size_t nv = run_metric_data(an, metric, out_dir, name, true, &lines, &ylo, &yhi, err, errlen, &rc);
    if (rc)
        return -1;
    tdm_rep_figure *f = add_fig(figs, name, caption, "strip", nv ? data : "");
    if (!f)
        return -1;
    if (nv == 0) {
        f->problem = tdm_rep_strdup(why_missing);
        return 0;
    }
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; bm=%d; ylo=%.6g; yhi=%.6g; ", nv, lines + 3, ylo, yhi);
    gp_str(&v, "ylab", ylab);
    gp_str(&v, "ttl", ttl);
    tdm_buf_append_str(&v, "ref=100; ");
    gp_str(&v, "reflab", reflab);
    render(figs, f, out_dir, plots_dir, tdm_buf_str(&v), log);
    tdm_buf_free(&v);
    return 0;
}

static int ecdf_fig(tdm_rep_figures *figs, const tdm_rep_analysis *an, const char *out_dir, const char *plots_dir,
                    int metric, const char *name, const char *caption, const char *xlab, const char *ttl, FILE *log,
                    char *err, size_t errlen)
{
    int rc;
    bool logx;
    double xlo, xhi;
    size_t nv = ecdf_data(an, metric, out_dir, name, &logx, &xlo, &xhi, err, errlen, &rc);
    if (rc)
        return -1;
    char data[300];
    snprintf(data, sizeof data, "%s.dat", name);
    tdm_rep_figure *f = add_fig(figs, name, caption, "ecdf", nv ? data : "");
    if (!f)
        return -1;
    if (nv == 0) {
        f->problem = tdm_rep_strdup("no call has this metric (imported seed runs keep only each call's first token)");
        return 0;
    }
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; logx=%d; xlo=%.6g; xhi=%.6g; ", nv, logx ? 1 : 0, xlo, xhi);
    gp_str(&v, "xlab", xlab);
    gp_str(&v, "ttl", ttl);
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
                                "Speedup T_seq / T_conc against configuration: mean per cell with its 95% CI",
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
    tdm_buf v = {0};
    tdm_buf_printf(&v, "nvar=%zu; bm=%d; ", nv, lines + 3);
    gp_str(&v, "ylab", "speedup T_seq / T_conc (mean, 95% CI)");
    gp_str(&v, "ttl", "Speedup from running the agents together, per configuration");
    tdm_buf_append_str(&v, "ref=1; ");
    gp_str(&v, "reflab", "1 = no gain");
    if (same && agents > 1) {
        tdm_buf_printf(&v, "ref2=%zu; ", agents);
        char lab[64];
        snprintf(lab, sizeof lab, "%zu = ideal for %zu agents", agents, agents);
        gp_str(&v, "reflab2", lab);
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
    rc |= strip_fig(figs, an, od, plots_dir, TDM_M_EFFICIENCY, "fig_efficiency",
                    "Efficiency per variant and configuration: each run (dots), cell mean with its 95% CI (bars)",
                    "efficiency = 100 x T_seq / (N x T_conc)  (%)",
                    "Efficiency per variant and configuration (100% = perfect parallelism; dots: runs, bars: "
                    "mean and 95% CI)",
                    "100% = perfect parallelism (T_conc = T_seq / N)",
                    "no run has both a sequential and a concurrent phase", log, err, errlen);
    rc |= strip_fig(figs, an, od, plots_dir, TDM_M_LEGACY_EFFICIENCY, "fig_legacy_efficiency",
                    "Legacy efficiency (the seed's overlap measure, not a gain) per variant and configuration: each "
                    "run (dots), cell mean with its 95% CI (bars)",
                    "legacy efficiency = 100 x sum T_conc_i / (N x T_conc)  (%)",
                    "Legacy efficiency: how evenly the agents overlapped (dots: runs; bars: mean and 95% CI)",
                    "100% = the agents overlapped completely", "no run has a concurrent phase", log, err, errlen);
    rc |= speedup_fig(figs, an, od, plots_dir, log, err, errlen);
    rc |= ecdf_fig(figs, an, od, plots_dir, TDM_M_TTFT, "fig_ttft_ecdf",
                   "Time to first token per variant, concurrent phase, all configurations (ECDF; cold loads and "
                   "failed calls left out; the x axis spans the middle 90% of calls, widened by half)",
                   "time to first token, client side (ms)",
                   "Time to first token, concurrent phase (cold loads excluded)", log, err, errlen);
    rc |= ecdf_fig(figs, an, od, plots_dir, TDM_M_ITL_P50, "fig_itl_ecdf",
                   "Median inter-token latency of each call per variant, concurrent phase, all configurations (ECDF; "
                   "the x axis spans the middle 90% of calls, widened by half)",
                   "median inter-token latency of a call (ms)",
                   "Inter-token latency, concurrent phase: each call's median gap between tokens", log, err, errlen);
    rc |= gpu_fig(figs, an, od, plots_dir, log, err, errlen);
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
