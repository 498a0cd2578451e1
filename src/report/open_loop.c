/* open_loop.c — latency against offered load (see open_loop.h, and
 * tdm_rep_open_loop_analyze in analysis.h): each open-loop run's rates and latencies from
 * the due instants of its calls, the runs grouped by variant, line and nominal rate, the
 * per-run numbers summarised per point, and each line's knee and best operating point.
 * A part of the analysis like gain_curve.c, whose means and CIs (tdm_rep_curve_value_of)
 * and line keys (tdm_rep_line_parts) it shares: it reads the grouped dataset and writes
 * only its own fields.
 *
 * Only calls with a due time count: in an open-loop run those are every concurrent call
 * (warm-up calls have none). Latencies are over the successful calls that were not cold
 * loads, as everywhere in the report; the failures show in the achieved rate and the
 * share of calls that succeeded. */
#include "report/open_loop.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/quantile.h"
#include "report/analysis.h"
#include "report/values.h"

static const char *const RATE_KEYS[] = {"arrival_rate", NULL};

const char *tdm_rep_ol_lat_key(int lat)
{
    static const char *const keys[TDM_REP_OL_NLAT] = {"ttft_from_due_ms", "client_wait_ms", "ttft_from_send_ms",
                                                      "e2e_from_due_ms"};
    return lat >= 0 && lat < TDM_REP_OL_NLAT ? keys[lat] : "";
}

const char *tdm_rep_ol_lat_label(int lat)
{
    static const char *const labels[TDM_REP_OL_NLAT] = {"TTFT from due", "client wait", "TTFT from send",
                                                        "e2e from due"};
    return lat >= 0 && lat < TDM_REP_OL_NLAT ? labels[lat] : "";
}

const char *tdm_rep_ol_knee_key(int reason)
{
    switch (reason) {
    case TDM_REP_OL_KNEE_THROUGHPUT:
        return "achieved_below_95pct_of_offered";
    case TDM_REP_OL_KNEE_LATENCY:
        return "p99_ttft_from_due_above_2x_lowest_rate";
    default:
        return "none";
    }
}

void tdm_rep_open_loop_free(tdm_rep_open_loop *ol)
{
    for (size_t i = 0; i < ol->n_lines; i++) {
        free(ol->lines[i].process);
        free(ol->lines[i].layout);
        free(ol->lines[i].label);
        free(ol->lines[i].points);
    }
    free(ol->lines);
    free(ol->runs);
    memset(ol, 0, sizeof *ol);
}

bool tdm_rep_ol_keeps_up(const tdm_rep_ol_point *p)
{
    double offered = isfinite(p->offered.mean) ? p->offered.mean : p->rate;
    return isfinite(p->achieved.mean) && p->achieved.mean >= TDM_REP_OL_KEEP_UP_PCT / 100.0 * offered;
}

void tdm_rep_ol_judge(tdm_rep_ol_line *l)
{
    l->knee = l->best = -1;
    l->knee_reason = TDM_REP_OL_KNEE_NONE;
    if (l->n_points == 0)
        return;
    double ref = l->points[0].q[TDM_REP_OL_TTFT_DUE].p99;
    for (size_t i = 1; i < l->n_points && l->knee < 0; i++) {
        const tdm_rep_ol_point *p = &l->points[i];
        double p99 = p->q[TDM_REP_OL_TTFT_DUE].p99;
        if (!tdm_rep_ol_keeps_up(p)) {
            l->knee = (long)i;
            l->knee_reason = TDM_REP_OL_KNEE_THROUGHPUT;
        } else if (isfinite(ref) && isfinite(p99) && p99 > TDM_REP_OL_P99_FACTOR * ref) {
            l->knee = (long)i;
            l->knee_reason = TDM_REP_OL_KNEE_LATENCY;
        }
    }
    /* below the knee every point past the lowest keeps up (else it would be the knee);
     * the lowest is checked here, since the knee rules start past it */
    long best = l->knee >= 0 ? l->knee - 1 : (long)l->n_points - 1;
    if (best > 0 || tdm_rep_ol_keeps_up(&l->points[0]))
        l->best = best;
}

/* ---- one run -------------------------------------------------------------------- */

/* The latencies of one call from its due instant, ms (NaN where undefined). */
static void call_lats(const tdm_rep_call *c, double v[TDM_REP_OL_NLAT])
{
    double wait = c->t_start > 0 ? (double)(c->t_start - c->t_due) / 1e6 : NAN;
    v[TDM_REP_OL_WAIT] = wait;
    v[TDM_REP_OL_TTFT_SEND] = c->m.ttft_ms;
    v[TDM_REP_OL_TTFT_DUE] = wait + c->m.ttft_ms;
    v[TDM_REP_OL_E2E_DUE] = c->t_done > 0 ? (double)(c->t_done - c->t_due) / 1e6 : NAN;
}

static bool counts(const tdm_rep_call *c)
{
    return c->t_due > 0 && c->phase == TDM_PHASE_CONCURRENT;
}

/* Appends the latencies of the run's successful non-cold calls to lat[k] (n[k] each). */
static void run_lats(const tdm_rep_dataset *ds, const tdm_rep_run *run, double *lat[TDM_REP_OL_NLAT],
                     size_t n[TDM_REP_OL_NLAT])
{
    for (size_t i = run->first_call; i < run->first_call + run->n_calls; i++) {
        const tdm_rep_call *c = &ds->calls[i];
        if (!counts(c) || !tdm_rep_call_counts(c, TDM_REP_CONC))
            continue;
        double v[TDM_REP_OL_NLAT];
        call_lats(c, v);
        for (int k = 0; k < TDM_REP_OL_NLAT; k++)
            if (isfinite(v[k]))
                lat[k][n[k]++] = v[k];
    }
}

static void tails_of(double *lat[TDM_REP_OL_NLAT], const size_t n[TDM_REP_OL_NLAT], tdm_rep_tail q[TDM_REP_OL_NLAT])
{
    for (int k = 0; k < TDM_REP_OL_NLAT; k++) {
        q[k].n = n[k];
        q[k].p50 = tdm_quantile_inplace(lat[k], n[k], 0.50);
        q[k].p90 = tdm_quantile_inplace(lat[k], n[k], 0.90);
        q[k].p99 = tdm_quantile_inplace(lat[k], n[k], 0.99);
    }
}

/* Four arrays of cap doubles each in one block; NULL when memory ran out. */
static double *lat_arrays(size_t cap, double *lat[TDM_REP_OL_NLAT], size_t n[TDM_REP_OL_NLAT])
{
    double *block = malloc((size_t)TDM_REP_OL_NLAT * (cap ? cap : 1) * sizeof *block);
    for (int k = 0; block && k < TDM_REP_OL_NLAT; k++) {
        lat[k] = block + (size_t)k * (cap ? cap : 1);
        n[k] = 0;
    }
    return block;
}

/* The run's rates and latencies. Returns 0 or -1 (memory). */
static int run_of(const tdm_rep_dataset *ds, size_t r, tdm_rep_ol_run *o)
{
    const tdm_rep_run *run = &ds->runs[r];
    o->run = r;
    int64_t due0 = 0, due1 = 0, done0 = 0, done1 = 0;
    for (size_t i = run->first_call; i < run->first_call + run->n_calls; i++) {
        const tdm_rep_call *c = &ds->calls[i];
        if (!counts(c))
            continue;
        if (o->n_due == 0 || c->t_due < due0)
            due0 = c->t_due;
        due1 = c->t_due > due1 ? c->t_due : due1;
        o->n_due++;
        if (!c->ok || c->t_done <= 0)
            continue;
        if (o->n_ok == 0 || c->t_done < done0)
            done0 = c->t_done;
        done1 = c->t_done > done1 ? c->t_done : done1;
        o->n_ok++;
    }
    o->offered_s = o->n_due > 1 && due1 > due0 ? (double)(o->n_due - 1) / ((double)(due1 - due0) / 1e9) : NAN;
    o->achieved_s = o->n_ok > 1 && done1 > done0 ? (double)(o->n_ok - 1) / ((double)(done1 - done0) / 1e9) : NAN;
    o->ok_pct = o->n_due ? 100.0 * (double)o->n_ok / (double)o->n_due : NAN;
    double *lat[TDM_REP_OL_NLAT];
    size_t n[TDM_REP_OL_NLAT];
    double *block = lat_arrays(run->n_calls, lat, n);
    if (!block)
        return -1;
    run_lats(ds, run, lat, n);
    tails_of(lat, n, o->q);
    free(block);
    return 0;
}

/* ---- which line a run is on ------------------------------------------------------ */

/* "one server", "3 servers": how many distinct servers the run's calls went to. */
static void servers_of(const tdm_rep_dir *d, tdm_buf *b)
{
    json_t *agents = json_object_get(json_object_get(d->prov, "scenario"), "agents");
    size_t n = json_array_size(agents), distinct = 0;
    for (size_t i = 0; i < n; i++) {
        const char *u = json_string_value(json_object_get(json_array_get(agents, i), "url"));
        if (!u)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *w = json_string_value(json_object_get(json_array_get(agents, j), "url"));
            seen = w && strcmp(u, w) == 0;
        }
        distinct += !seen;
    }
    if (distinct == 1)
        tdm_buf_append_str(b, ", one server");
    else if (distinct > 1)
        tdm_buf_printf(b, ", %zu servers", distinct);
}

/* The line of an open-loop run: its configuration's parts but the rate, the arrival
 * process and the servers. Heap string; NULL when memory ran out. */
static char *layout_of(const tdm_rep_dir *d, const char *process)
{
    char *parts = tdm_rep_line_parts(d->configuration, RATE_KEYS);
    if (!parts)
        return NULL;
    tdm_buf b = {0};
    if (*parts)
        tdm_buf_printf(&b, "%s, ", parts);
    free(parts);
    tdm_buf_printf(&b, "%s arrivals", strcmp(process, "poisson") == 0 ? "Poisson" : process);
    servers_of(d, &b);
    return tdm_buf_steal(&b);
}

/* The index of the line (variant, layout), added when new; -1 when memory ran out. */
static long line_of(const tdm_rep_dataset *ds, tdm_rep_open_loop *ol, int variant, const char *process,
                    const char *layout)
{
    for (size_t i = 0; i < ol->n_lines; i++)
        if (ol->lines[i].variant == variant && strcmp(ol->lines[i].layout, layout) == 0)
            return (long)i;
    tdm_rep_ol_line *nl = realloc(ol->lines, (ol->n_lines + 1) * sizeof *nl);
    if (!nl)
        return -1;
    ol->lines = nl;
    tdm_rep_ol_line *l = &nl[ol->n_lines++];
    memset(l, 0, sizeof *l);
    l->variant = variant;
    l->knee = l->best = -1;
    l->process = tdm_rep_strdup(process);
    l->layout = tdm_rep_strdup(layout);
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s (%s)", ds->variants[variant].label, layout);
    l->label = tdm_buf_steal(&b);
    return l->process && l->layout && l->label ? (long)(ol->n_lines - 1) : -1;
}

/* ---- one point ------------------------------------------------------------------- */

/* Fills p from the runs of line li at its rate. Returns 0 or -1 (memory). */
static int point_of(const tdm_rep_analysis *an, const tdm_rep_open_loop *ol, size_t li, tdm_rep_ol_point *p)
{
    const tdm_rep_dataset *ds = an->ds;
    const tdm_rep_ol_line *l = &ol->lines[li];
    size_t nr = 0, ncalls = 0;
    for (size_t i = 0; i < ol->n_runs; i++)
        if (ol->runs[i].line == li && ol->runs[i].rate == p->rate) {
            nr++;
            ncalls += ds->runs[ol->runs[i].run].n_calls;
        }
    double *x = malloc(3 * (nr ? nr : 1) * sizeof *x);
    double *lat[TDM_REP_OL_NLAT];
    size_t n[TDM_REP_OL_NLAT];
    double *block = lat_arrays(ncalls, lat, n);
    if (!x || !block) {
        free(x);
        free(block);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < ol->n_runs; i++) {
        const tdm_rep_ol_run *o = &ol->runs[i];
        if (o->line != li || o->rate != p->rate)
            continue;
        x[k] = o->offered_s;
        x[nr + k] = o->achieved_s;
        x[2 * nr + k] = o->ok_pct;
        k++;
        p->n_due += o->n_due;
        p->n_ok += o->n_ok;
        run_lats(ds, &ds->runs[o->run], lat, n);
    }
    p->n_runs = nr;
    static const char *const metric[] = {"offered_per_s", "achieved_per_s", "ok_pct"};
    tdm_rep_curve_value *out[] = {&p->offered, &p->achieved, &p->ok_pct};
    for (int m = 0; m < 3; m++) {
        tdm_buf key = {0};
        tdm_buf_printf(&key, "open_loop|%s|%s|%s|%.17g|%s", ds->variants[l->variant].name,
                       ds->variants[l->variant].source, l->layout, p->rate, metric[m]);
        tdm_rep_curve_value_of(an, x + (size_t)m * nr, nr, m == 2, tdm_buf_str(&key), out[m]);
        tdm_buf_free(&key);
    }
    tails_of(lat, n, p->q);
    free(x);
    free(block);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The points of line li: one per nominal rate among its runs. Returns 0 or -1. */
static int line_points(const tdm_rep_analysis *an, tdm_rep_open_loop *ol, size_t li)
{
    tdm_rep_ol_line *l = &ol->lines[li];
    double *rates = malloc((ol->n_runs ? ol->n_runs : 1) * sizeof *rates);
    if (!rates)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < ol->n_runs; i++) {
        if (ol->runs[i].line != li)
            continue;
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = rates[j] == ol->runs[i].rate;
        if (!seen)
            rates[n++] = ol->runs[i].rate;
    }
    qsort(rates, n, sizeof *rates, cmp_double);
    l->points = calloc(n ? n : 1, sizeof *l->points);
    if (!l->points) {
        free(rates);
        return -1;
    }
    l->n_points = n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        l->points[i].rate = rates[i];
        rc = point_of(an, ol, li, &l->points[i]);
    }
    free(rates);
    if (rc == 0)
        tdm_rep_ol_judge(l);
    return rc;
}

/* ---- the whole ------------------------------------------------------------------- */

/* Lines sorted by variant, then layout; the runs' line indices follow. */
static int sort_lines(tdm_rep_open_loop *ol)
{
    size_t n = ol->n_lines;
    size_t *order = malloc((n ? n : 1) * sizeof *order), *rank = malloc((n ? n : 1) * sizeof *rank);
    tdm_rep_ol_line *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!order || !rank || !sorted) {
        free(order);
        free(rank);
        free(sorted);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of lines, and stable */
        for (size_t j = i; j > 0; j--) {
            const tdm_rep_ol_line *a = &ol->lines[order[j - 1]], *b = &ol->lines[order[j]];
            if (a->variant < b->variant || (a->variant == b->variant && strcmp(a->layout, b->layout) <= 0))
                break;
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        sorted[i] = ol->lines[order[i]];
        rank[order[i]] = i;
    }
    memcpy(ol->lines, sorted, n * sizeof *sorted);
    for (size_t i = 0; i < ol->n_runs; i++)
        ol->runs[i].line = rank[ol->runs[i].line];
    free(order);
    free(rank);
    free(sorted);
    return 0;
}

int tdm_rep_open_loop_analyze(tdm_rep_analysis *an)
{
    const tdm_rep_dataset *ds = an->ds;
    tdm_rep_open_loop *ol = &an->open_loop;
    size_t n = 0;
    for (size_t r = 0; r < ds->n_runs; r++)
        n += ds->runs[r].cell >= 0 && tdm_rep_dir_open_loop(&ds->dirs[ds->runs[r].dir], NULL, NULL);
    if (n == 0)
        return 0;
    ol->runs = calloc(n, sizeof *ol->runs);
    if (!ol->runs)
        return -1;
    for (size_t r = 0; r < ds->n_runs; r++) {
        const tdm_rep_dir *d = &ds->dirs[ds->runs[r].dir];
        double rate;
        const char *process;
        if (ds->runs[r].cell < 0 || !tdm_rep_dir_open_loop(d, &rate, &process))
            continue;
        tdm_rep_ol_run *o = &ol->runs[ol->n_runs++];
        char *layout = layout_of(d, process);
        long li = layout ? line_of(ds, ol, ds->cells[ds->runs[r].cell].variant, process, layout) : -1;
        free(layout);
        if (li < 0 || run_of(ds, r, o) != 0)
            return -1;
        o->line = (size_t)li;
        o->rate = rate;
    }
    if (sort_lines(ol) != 0)
        return -1;
    for (size_t i = 0; i < ol->n_lines; i++)
        if (line_points(an, ol, i) != 0)
            return -1;
    return 0;
}
