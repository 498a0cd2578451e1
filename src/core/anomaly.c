/* anomaly.c — the anomaly rules and their words (see anomaly.h). */
#include "core/anomaly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/quantile.h"

/* MAD × this estimates the standard deviation of normally distributed values. */
#define MAD_TO_SD 1.4826

const char *tdm_anomaly_kind_name(tdm_anomaly_kind k)
{
    switch (k) {
    case TDM_ANOMALY_EFFICIENCY_ABOVE_100:
        return "efficiency_above_100";
    case TDM_ANOMALY_TOKEN_STALL:
        return "token_stall";
    case TDM_ANOMALY_SLOW_PHASE:
        return "slow_phase";
    default:
        return "unknown";
    }
}

static void blank(tdm_anomaly *a, tdm_anomaly_kind kind)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->agent = a->step = -1;
    a->value = a->bound = a->median = a->mad = a->t_seq_s = a->t_conc_s = NAN;
}

bool tdm_anomaly_check_efficiency(const tdm_anomaly_run *r, tdm_anomaly *a)
{
    double bound = 100.0 + TDM_ANOMALY_EFFICIENCY_NOISE_PP;
    if (!isfinite(r->efficiency_pct) || !(r->efficiency_pct > bound))
        return false;
    blank(a, TDM_ANOMALY_EFFICIENCY_ABOVE_100);
    a->run = r->run;
    a->phase = TDM_PHASE_SEQUENTIAL;
    a->value = r->efficiency_pct;
    a->bound = bound;
    a->t_seq_s = r->t_seq_s;
    a->t_conc_s = r->t_conc_s;
    a->n = r->n_agents;
    return true;
}

bool tdm_anomaly_check_call(const tdm_call_metrics *m, tdm_anomaly *a)
{
    if (!isfinite(m->itl_max_ms) || !isfinite(m->itl_p50_ms))
        return false;
    double bound = fmax(TDM_ANOMALY_STALL_ITL_FACTOR * m->itl_p50_ms, TDM_ANOMALY_STALL_MIN_MS);
    if (!(m->itl_max_ms > bound))
        return false;
    blank(a, TDM_ANOMALY_TOKEN_STALL);
    a->value = m->itl_max_ms;
    a->bound = bound;
    a->median = m->itl_p50_ms;
    a->n = m->itl_max_at + 1;
    return true;
}

int tdm_anomaly_slow_values(const double *v, size_t n, bool *flagged, double *median, double *mad, double *bound)
{
    *median = *mad = *bound = NAN;
    for (size_t i = 0; i < n; i++)
        flagged[i] = false;
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            x[m++] = v[i];
    if (m < TDM_ANOMALY_PEER_MIN_RUNS) {
        free(x);
        return 0;
    }
    double med = tdm_quantile_inplace(x, m, 0.5);
    for (size_t i = 0; i < m; i++)
        x[i] = fabs(x[i] - med);
    double smad = MAD_TO_SD * tdm_quantile_inplace(x, m, 0.5);
    free(x);
    *median = med;
    *mad = smad;
    if (!(med > 0))
        return 0; /* a phase that took no time has no peers to be slow against */
    double b = fmin(TDM_ANOMALY_PEER_MAX_RATIO * med,
                    fmax(med + TDM_ANOMALY_PEER_MADS * smad, TDM_ANOMALY_PEER_MIN_RATIO * med));
    *bound = b;
    int flags = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > b) {
            flagged[i] = true;
            flags++;
        }
    return flags;
}

static int slow_phase(const tdm_anomaly_run *runs, size_t n, tdm_phase phase, tdm_anomaly_list *out)
{
    double *v = calloc(n ? n : 1, sizeof *v);
    bool *flagged = calloc(n ? n : 1, sizeof *flagged);
    if (!v || !flagged) {
        free(v);
        free(flagged);
        return -1;
    }
    double med, mad, bound;
    size_t peers = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = phase == TDM_PHASE_SEQUENTIAL ? runs[i].t_seq_s : runs[i].t_conc_s;
        peers += isfinite(v[i]);
    }
    int rc = tdm_anomaly_slow_values(v, n, flagged, &med, &mad, &bound) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!flagged[i])
            continue;
        tdm_anomaly a;
        blank(&a, TDM_ANOMALY_SLOW_PHASE);
        a.run_index = i;
        a.run = runs[i].run;
        a.phase = phase;
        a.value = v[i];
        a.bound = bound;
        a.median = med;
        a.mad = mad;
        a.n = peers;
        rc = tdm_anomaly_list_push(out, &a);
    }
    free(v);
    free(flagged);
    return rc;
}

int tdm_anomaly_find_runs(const tdm_anomaly_run *runs, size_t n, tdm_anomaly_list *out)
{
    for (size_t i = 0; i < n; i++) {
        tdm_anomaly a;
        if (tdm_anomaly_check_efficiency(&runs[i], &a)) {
            a.run_index = i;
            if (tdm_anomaly_list_push(out, &a) != 0)
                return -1;
        }
    }
    if (slow_phase(runs, n, TDM_PHASE_SEQUENTIAL, out) != 0 || slow_phase(runs, n, TDM_PHASE_CONCURRENT, out) != 0)
        return -1;
    return 0;
}

int tdm_anomaly_find_call(const tdm_call_metrics *m, size_t run_index, int run, tdm_phase phase, int agent, int step,
                          tdm_anomaly_list *out)
{
    tdm_anomaly a;
    if (phase == TDM_PHASE_WARMUP || !tdm_anomaly_check_call(m, &a))
        return 0; /* warm-up calls are outside every measured number */
    a.run_index = run_index;
    a.run = run;
    a.phase = phase;
    a.agent = agent;
    a.step = step;
    return tdm_anomaly_list_push(out, &a);
}

int tdm_anomaly_list_push(tdm_anomaly_list *l, const tdm_anomaly *a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        tdm_anomaly *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return -1;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = *a;
    return 0;
}

static int cmp_anomaly(const void *pa, const void *pb)
{
    const tdm_anomaly *a = pa, *b = pb;
    if (a->run_index != b->run_index)
        return a->run_index < b->run_index ? -1 : 1;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    if (a->phase != b->phase)
        return (int)a->phase - (int)b->phase;
    if (a->agent != b->agent)
        return a->agent < b->agent ? -1 : 1;
    return (a->step > b->step) - (a->step < b->step);
}

void tdm_anomaly_list_sort(tdm_anomaly_list *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_anomaly);
}

bool tdm_anomaly_list_has_run(const tdm_anomaly_list *l, size_t run_index)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].run_index == run_index)
            return true;
    return false;
}

void tdm_anomaly_list_free(tdm_anomaly_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static const char *phase_time(tdm_phase p)
{
    return p == TDM_PHASE_SEQUENTIAL ? "T_seq" : "T_conc";
}

void tdm_anomaly_describe(const tdm_anomaly *a, const char *agent_name, tdm_buf *b)
{
    switch (a->kind) {
    case TDM_ANOMALY_EFFICIENCY_ABOVE_100:
        tdm_buf_printf(b,
                       "run %d: efficiency %.1f %% is above %.1f %% (100 %% plus %.0f pp of noise): T_seq %.3f s "
                       "is more than N x T_conc = %zu x %.3f s = %.3f s, so the agents seem faster together than "
                       "alone; the sequential phase was slowed by something else (a stalled server, a model "
                       "reload, a throttled device).",
                       a->run, a->value, a->bound, TDM_ANOMALY_EFFICIENCY_NOISE_PP, a->t_seq_s, a->n, a->t_conc_s,
                       (double)a->n * a->t_conc_s);
        break;
    case TDM_ANOMALY_TOKEN_STALL:
        tdm_buf_printf(b,
                       "run %d: agent %s, step %d (%s phase): a gap of %.3f s before token event %zu, above the "
                       "bound %.3f s (%.0f x the call's median ITL %.2f ms, and at least %.0f s): the stream "
                       "stalled.",
                       a->run, agent_name ? agent_name : "?", a->step + 1, tdm_phase_name(a->phase), a->value / 1e3,
                       a->n, a->bound / 1e3, TDM_ANOMALY_STALL_ITL_FACTOR, a->median, TDM_ANOMALY_STALL_MIN_MS / 1e3);
        break;
    case TDM_ANOMALY_SLOW_PHASE:
        tdm_buf_printf(b,
                       "run %d: %s %.3f s is above the bound %.3f s set by its %zu peer runs (median %.3f s, scaled "
                       "MAD %.3f s; the bound is the lower of %.0f x the median and the larger of median + %.0f "
                       "scaled MADs and %.2f x the median): the %s phase took far longer than in the other runs.",
                       a->run, phase_time(a->phase), a->value, a->bound, a->n, a->median, a->mad,
                       TDM_ANOMALY_PEER_MAX_RATIO, TDM_ANOMALY_PEER_MADS, TDM_ANOMALY_PEER_MIN_RATIO,
                       tdm_phase_name(a->phase));
        break;
    default:
        tdm_buf_printf(b, "run %d: unknown anomaly.", a->run);
        break;
    }
}
