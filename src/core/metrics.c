/* metrics.c — derived metrics from raw records (see metrics.h and METRICS in ARTIFACT.md). */
#include "core/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/quantile.h"

static double ns_to_ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static double counter(int64_t v)
{
    return v < 0 ? 0.0 : (double)v; /* Ollama omits counters that are zero */
}

bool tdm_record_has_server_timings(const tdm_call_record *r)
{
    /* Ollama always sends total_duration; an OpenAI-compatible server sends durations only
     * as llama-server's timings, and its usage block only counts. */
    const tdm_server_counters *c = &r->server;
    return r->have_final && (c->total_duration_ns >= 0 || c->load_duration_ns >= 0 ||
                             c->prompt_eval_duration_ns >= 0 || c->eval_duration_ns >= 0);
}

void tdm_call_metrics_compute(const tdm_call_record *r, tdm_call_metrics *m)
{
    m->ok = r->ok;
    m->connect_ms = ns_to_ms(r->connect_ns);
    m->ttfb_ms = m->ttft_ms = m->ttft_content_ms = m->server_ttft_ms = m->client_gap_ms = NAN;
    m->itl_p50_ms = m->itl_p90_ms = m->itl_p99_ms = m->tpot_ms = m->e2e_ms = NAN;
    m->decode_tps = m->decode_tps_client = m->itl_max_ms = NAN;
    m->itl_max_at = 0;
    m->events = (int64_t)r->n_events;
    m->tokens = r->have_final && r->server.eval_count >= 0 ? r->server.eval_count : m->events;
    m->token_mismatch = r->have_final && r->server.eval_count >= 0 && r->server.eval_count != m->events;
    m->cold_load = r->have_final && r->server.load_duration_ns > TDM_COLD_LOAD_NS;

    if (r->t_start && r->t_first_byte)
        m->ttfb_ms = ns_to_ms(r->t_first_byte - r->t_start);
    if (r->t_start && r->n_events > 0) {
        m->ttft_ms = ns_to_ms(r->events[0].t_ns - r->t_start);
        for (size_t i = 0; i < r->n_events; i++)
            if (r->events[i].content_bytes > 0) {
                m->ttft_content_ms = ns_to_ms(r->events[i].t_ns - r->t_start);
                break;
            }
    }
    m->no_server_timings = r->have_final && !tdm_record_has_server_timings(r);
    if (r->have_final) {
        if (!m->no_server_timings) /* else NaN: the server gives no timings */
            m->server_ttft_ms =
                (counter(r->server.load_duration_ns) + counter(r->server.prompt_eval_duration_ns)) / 1e6;
        if (r->server.eval_count > 0 && r->server.eval_duration_ns > 0)
            m->decode_tps = (double)r->server.eval_count / ((double)r->server.eval_duration_ns / 1e9);
        if (r->ok && r->t_start)
            m->e2e_ms = ns_to_ms(r->t_done - r->t_start);
    }
    m->client_gap_ms = m->ttft_ms - m->server_ttft_ms; /* NaN when either is */
    if (r->n_events >= 2) {
        int64_t span = r->events[r->n_events - 1].t_ns - r->events[0].t_ns;
        m->tpot_ms = ns_to_ms(span) / (double)(r->n_events - 1);
        if (span > 0)
            m->decode_tps_client = (double)(r->n_events - 1) / ((double)span / 1e9);
        double *itl = malloc((r->n_events - 1) * sizeof *itl);
        if (itl) {
            for (size_t i = 1; i < r->n_events; i++) {
                itl[i - 1] = ns_to_ms(r->events[i].t_ns - r->events[i - 1].t_ns);
                if (!(itl[i - 1] <= m->itl_max_ms)) { /* NaN at first: the first gap wins */
                    m->itl_max_ms = itl[i - 1];
                    m->itl_max_at = i;
                }
            }
            m->itl_p50_ms = tdm_quantile_inplace(itl, r->n_events - 1, 0.50);
            m->itl_p90_ms = tdm_quantile_inplace(itl, r->n_events - 1, 0.90);
            m->itl_p99_ms = tdm_quantile_inplace(itl, r->n_events - 1, 0.99);
            free(itl);
        }
    }
}

/* Per agent and phase: tokens, server decode rate and median TTFT over its calls. */
/* A workflow agent's time alone: its own sequential calls, think times included (its span
 * in the one batch also holds the other agents' steps). */
static double own_calls_s(const tdm_run_data *d, size_t agent)
{
    int64_t ns = 0;
    for (size_t i = 0; i < d->n_calls; i++) {
        const tdm_call_record *c = &d->calls[i];
        if (c->phase == TDM_PHASE_SEQUENTIAL && (size_t)c->agent == agent && c->t_begin > 0 && c->t_done >= c->t_begin)
            ns += c->think_ns + (c->t_done - c->t_begin);
    }
    return (double)ns / 1e9;
}

static void phase_stats(const tdm_run_data *d, size_t agent, tdm_phase phase, int64_t *tokens, double *tps,
                        double *ttft_median, size_t *calls, size_t *failed, size_t *cold, size_t *mismatch)
{
    double eval_count = 0, eval_ns = 0;
    double *ttfts = malloc((d->n_calls ? d->n_calls : 1) * sizeof *ttfts);
    size_t n_ttft = 0;
    *tokens = 0;
    for (size_t i = 0; i < d->n_calls; i++) {
        const tdm_call_record *r = &d->calls[i];
        if ((size_t)r->agent != agent || r->phase != phase)
            continue;
        tdm_call_metrics cm;
        tdm_call_metrics_compute(r, &cm);
        (*calls)++;
        if (!r->ok)
            (*failed)++;
        if (cm.cold_load)
            (*cold)++;
        if (cm.token_mismatch)
            (*mismatch)++;
        if (r->ok)
            *tokens += cm.tokens;
        if (r->ok && r->have_final && r->server.eval_count > 0 && r->server.eval_duration_ns > 0) {
            eval_count += (double)r->server.eval_count;
            eval_ns += (double)r->server.eval_duration_ns;
        }
        if (ttfts && !isnan(cm.ttft_ms))
            ttfts[n_ttft++] = cm.ttft_ms;
    }
    *tps = eval_ns > 0 ? eval_count / (eval_ns / 1e9) : NAN;
    *ttft_median = ttfts ? tdm_quantile_inplace(ttfts, n_ttft, 0.5) : NAN;
    free(ttfts);
}

/* The sequential-phase record of (agent, step), or NULL. */
static const tdm_call_record *seq_call(const tdm_run_data *d, size_t agent, size_t step)
{
    for (size_t i = 0; i < d->n_calls; i++) {
        const tdm_call_record *c = &d->calls[i];
        if (c->phase == TDM_PHASE_SEQUENTIAL && (size_t)c->agent == agent && (size_t)c->step == step)
            return c;
    }
    return NULL;
}

#define UNUSABLE (INT64_MIN / 4)

/* The longest chain of dependent steps ending with (agent, step), in ns: its own think and
 * call time in the sequential phase plus the longest of the chains before it (its agent's
 * previous step and the steps it waited for). memo[i] caches call i's; -1 unknown. The
 * records name their inputs (after), so the graph needs no scenario. */
static int64_t chain_ns(const tdm_run_data *d, const tdm_call_record *c, int64_t *memo, int depth)
{
    size_t at = (size_t)(c - d->calls);
    if (memo[at] != -1)
        return memo[at];
    if (depth > 10000 || !c->ok || c->t_begin <= 0 || c->t_done < c->t_begin)
        return memo[at] = UNUSABLE; /* the path is undefined */
    int64_t before = 0;
    const tdm_call_record *prev = c->step > 0 ? seq_call(d, (size_t)c->agent, (size_t)c->step - 1) : NULL;
    for (size_t j = 0; j <= c->n_after; j++) {
        const tdm_call_record *in = j < c->n_after ? seq_call(d, c->after[j].agent, c->after[j].step) : prev;
        if (j == c->n_after && !prev)
            break;
        int64_t p = in ? chain_ns(d, in, memo, depth + 1) : UNUSABLE;
        if (p < 0)
            return memo[at] = UNUSABLE;
        before = p > before ? p : before;
    }
    return memo[at] = before + c->think_ns + (c->t_done - c->t_begin);
}

static void workflow_metrics(const tdm_run_data *d, tdm_run_metrics *m)
{
    m->critical_path_s = m->makespan_s = m->ideal_speedup = m->achieved_speedup = NAN;
    m->workflow_efficiency_pct = NAN;
    m->workflow = d->seq_one_batch;
    for (size_t i = 0; i < d->n_calls && !m->workflow; i++)
        m->workflow = d->calls[i].n_after > 0 || d->calls[i].think_ns > 0;
    if (!m->workflow)
        return;
    m->makespan_s = m->t_conc_s;
    int64_t *memo = malloc((d->n_calls ? d->n_calls : 1) * sizeof *memo);
    if (!memo || !d->has_sequential) {
        free(memo);
        return;
    }
    for (size_t i = 0; i < d->n_calls; i++)
        memo[i] = -1;
    int64_t longest = 0;
    bool usable = true;
    for (size_t i = 0; i < d->n_calls && usable; i++)
        if (d->calls[i].phase == TDM_PHASE_SEQUENTIAL) {
            int64_t c = chain_ns(d, &d->calls[i], memo, 0);
            usable = c >= 0;
            longest = c > longest ? c : longest;
        }
    free(memo);
    if (!usable || longest <= 0)
        return;
    m->critical_path_s = (double)longest / 1e9;
    m->ideal_speedup = m->t_seq_s / m->critical_path_s;
    m->achieved_speedup = m->t_seq_s / m->makespan_s;
    m->workflow_efficiency_pct = 100.0 * m->critical_path_s / m->makespan_s;
}

int tdm_run_metrics_compute(const tdm_run_data *d, double threshold_pct, tdm_run_metrics *m)
{
    memset(m, 0, sizeof *m);
    size_t n = d->n_agents;
    m->n_agents = n;
    m->agents = calloc(n ? n : 1, sizeof *m->agents);
    if (!m->agents)
        return -1;
    m->t_seq_s = m->t_conc_s = m->speedup = m->efficiency_pct = m->throughput_gain = NAN;
    m->imbalance = m->legacy_speedup = m->legacy_efficiency_pct = NAN;

    int64_t tok_seq = 0, tok_conc = 0;
    double sum_seq = 0, sum_conc_i = 0, max_conc_i = 0;
    int64_t conc_end = 0, release = 0;
    for (size_t i = 0; i < n; i++) {
        tdm_agent_run_metrics *a = &m->agents[i];
        phase_stats(d, i, TDM_PHASE_SEQUENTIAL, &a->tokens_seq, &a->decode_tps_seq, &a->ttft_seq_ms, &m->calls,
                    &m->failed_calls, &m->cold_loads, &m->token_mismatches);
        phase_stats(d, i, TDM_PHASE_CONCURRENT, &a->tokens_conc, &a->decode_tps_conc, &a->ttft_conc_ms, &m->calls,
                    &m->failed_calls, &m->cold_loads, &m->token_mismatches);
        a->t_seq_s = d->has_sequential ? (double)(d->seq[i].end_ns - d->seq[i].release_ns) / 1e9 : NAN;
        if (d->has_sequential && d->seq_one_batch)
            a->t_seq_s = own_calls_s(d, i);
        a->t_conc_s = d->has_concurrent ? (double)(d->conc[i].end_ns - d->conc[i].begin_ns) / 1e9 : NAN;
        a->slowdown = a->t_conc_s / a->t_seq_s;
        a->decode_drop_pct = 100.0 * (1.0 - a->decode_tps_conc / a->decode_tps_seq);
        if (!isnan(a->decode_drop_pct) && a->decode_drop_pct > threshold_pct)
            m->contention_detected = true;
        tok_seq += a->tokens_seq;
        tok_conc += a->tokens_conc;
        sum_seq += a->t_seq_s;
        sum_conc_i += a->t_conc_s;
        if (a->t_conc_s > max_conc_i)
            max_conc_i = a->t_conc_s;
        if (d->has_concurrent) {
            if (d->conc[i].end_ns > conc_end)
                conc_end = d->conc[i].end_ns;
            release = d->conc[i].release_ns;
        }
    }
    m->complete = m->failed_calls == 0;
    if (d->has_sequential)
        m->t_seq_s = sum_seq;
    if (d->has_sequential && d->seq_one_batch) {
        /* One batch, one step at a time: the phase's span is the whole workflow alone. */
        int64_t end = 0, rel = n > 0 ? d->seq[0].release_ns : 0;
        for (size_t i = 0; i < n; i++)
            end = d->seq[i].end_ns > end ? d->seq[i].end_ns : end;
        m->t_seq_s = n > 0 ? (double)(end - rel) / 1e9 : NAN;
    }
    if (d->has_concurrent && n > 0) {
        m->t_conc_s = (double)(conc_end - release) / 1e9;
        m->legacy_speedup = sum_conc_i / m->t_conc_s;
        m->legacy_efficiency_pct = 100.0 * m->legacy_speedup / (double)n;
        m->legacy_contention = m->legacy_speedup < 0.75 * (double)n;
        m->imbalance = max_conc_i / (sum_conc_i / (double)n);
    }
    m->speedup = m->t_seq_s / m->t_conc_s;
    m->efficiency_pct = 100.0 * m->speedup / (double)n;
    if (tok_seq > 0 && tok_conc > 0)
        m->throughput_gain = ((double)tok_conc / m->t_conc_s) / ((double)tok_seq / m->t_seq_s);
    workflow_metrics(d, m);
    if (d->conc_open_loop) {
        /* Arrivals do not start together, so how much the agents overlapped (the seed's
         * number) says nothing; latency against offered load does (the report). */
        m->legacy_speedup = m->legacy_efficiency_pct = m->imbalance = NAN;
        m->legacy_contention = false;
    }
    if (!m->complete) {
        m->ideal_speedup = m->achieved_speedup = m->workflow_efficiency_pct = NAN;
        /* A failed agent's time says nothing about parallelism (one refused at once makes
         * the concurrent phase look instant): the run's gains are undefined, not wrong. */
        m->speedup = m->efficiency_pct = m->throughput_gain = NAN;
        m->legacy_speedup = m->legacy_efficiency_pct = m->imbalance = NAN;
        m->legacy_contention = false;
    }
    return 0;
}

void tdm_run_metrics_free(tdm_run_metrics *m)
{
    free(m->agents);
    m->agents = NULL;
}
