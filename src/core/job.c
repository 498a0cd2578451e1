/* job.c — step sequencing for one agent in one phase (see job.h). */
#include "core/job.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/interrupt.h"
#include "core/prng.h"
#include "core/request.h"
#include "core/workflow_board.h"

void tdm_job_init(tdm_agent_job *j, const tdm_scenario *s, int agent_index, bool warmup,
                  tdm_call_record *records, size_t n_calls)
{
    j->scenario = s;
    j->agent = &s->agents[agent_index];
    j->agent_index = agent_index;
    j->warmup = warmup;
    j->records = records;
    j->n_calls = n_calls;
    j->next = 0;
    j->t_begin = 0;
    j->t_end = 0;
    /* Only the concurrent phase has arrivals; the sequential one runs calls back to back. */
    j->timed = s->arrivals.process != TDM_ARRIVALS_NONE && !warmup && n_calls > 0 &&
               records[0].phase == TDM_PHASE_CONCURRENT;
    j->start_ns = j->timed ? j->agent->start_ns : 0;
    j->t_release = 0;
    j->board = NULL;
    j->reported = 0;
    j->first_url = j->first_body = NULL;
    /* Every record, skipped ones too, says which API its call spoke. */
    for (size_t i = 0; i < n_calls; i++)
        records[i].api = j->agent->api;
}

void tdm_jobs_on_change(tdm_agent_job *jobs, size_t n, void (*fn)(void *ud), void *ud)
{
    /* Every job of a phase shares one board. */
    if (n > 0 && jobs[0].board)
        tdm_board_on_change(jobs[0].board, fn, ud);
}

/* Tells the board about every record settled since the last time (finished, failed or
 * skipped), so the steps waiting for them can go on or be skipped in turn. */
static void report_settled(tdm_agent_job *j)
{
    for (; j->board && j->reported < j->next; j->reported++)
        tdm_board_step_done(j->board, (size_t)j->agent_index, (size_t)j->records[j->reported].step,
                            &j->records[j->reported]);
}

/* The step's think time in this run: fixed, or an exponential draw from the scenario's
 * seed, the run, the agent and the step, so both phases of a run pause the same. */
static int64_t think_ns(const tdm_agent_job *j, const tdm_call_record *r)
{
    const tdm_step *st = &j->agent->steps[r->step];
    if (st->think_ns <= 0 || st->think_dist == TDM_THINK_FIXED)
        return st->think_ns > 0 ? st->think_ns : 0;
    uint64_t state = j->scenario->seed ^ 0x7468696e6bULL /* "think" */ ^ ((uint64_t)r->run << 40) ^
                     ((uint64_t)j->agent_index << 20) ^ (uint64_t)r->step;
    double u = (double)(tdm_splitmix64(&state) >> 11) * 0x1.0p-53;
    return (int64_t)llround(-log1p(-u) * (double)st->think_ns);
}

/* A workflow step is due once its inputs exist (the steps it waits for, its agent's
 * previous step, or the release) and its think time has passed. */
static int64_t workflow_due(const tdm_agent_job *j)
{
    const tdm_call_record *r = &j->records[j->next];
    tdm_step_ref failed;
    bool has_failed;
    int64_t at = tdm_board_inputs_at(j->board, (size_t)j->agent_index, (size_t)r->step, &failed, &has_failed);
    if (has_failed)
        return 0; /* handed out at once, and recorded as skipped by tdm_job_next */
    if (at == TDM_DUE_WAIT)
        return TDM_JOB_WAIT;
    int64_t prev = j->next > 0 ? j->records[j->next - 1].t_done : j->t_release;
    return (prev > at ? prev : at) + think_ns(j, r);
}

void tdm_jobs_released(tdm_agent_job *jobs, size_t n, int64_t t_release)
{
    for (size_t i = 0; i < n; i++)
        jobs[i].t_release = t_release;
}

int64_t tdm_job_due(const tdm_agent_job *j)
{
    if (j->next >= j->n_calls || j->t_release <= 0)
        return 0;
    if (j->board && !j->warmup)
        return workflow_due(j);
    if (!j->timed || j->next != 0)
        return 0;
    return j->t_release + j->start_ns;
}

/* Slices short enough that an interrupt ends a long hold within a human's patience. */
#define HOLD_SLICE_NS 50000000LL

void tdm_job_wait_due(const tdm_agent_job *j)
{
    while (!tdm_interrupt_requested()) {
        uint64_t gen = j->board ? tdm_board_generation(j->board) : 0;
        int64_t due = tdm_job_due(j), now = tdm_now_ns();
        if (due <= now)
            return;
        int64_t until = due - now < HOLD_SLICE_NS ? due : now + HOLD_SLICE_NS;
        if (j->board)
            tdm_board_wait(j->board, gen, until); /* a step that finishes wakes it at once */
        else
            tdm_sleep_ns(until - now);
    }
}

static void skip_rest(tdm_agent_job *j, int64_t now)
{
    for (size_t i = j->next; i < j->n_calls; i++)
        tdm_record_fail(&j->records[i], TDM_ERR_SKIPPED, now,
                        "not run: step %zu of agent '%s' failed before it", j->next, j->agent->name);
    j->next = j->n_calls;
    report_settled(j);
}

/* A workflow step whose input failed cannot run: it and the agent's later steps are
 * recorded as not run, naming the input. */
static void skip_for_input(tdm_agent_job *j, const tdm_step_ref *failed, int64_t now)
{
    const tdm_agent *fa = &j->scenario->agents[failed->agent];
    for (size_t i = j->next; i < j->n_calls; i++)
        tdm_record_fail(&j->records[i], TDM_ERR_SKIPPED, now,
                        "not run: step '%s' of agent '%s', which step '%s' of agent '%s' waits for, failed",
                        fa->steps[failed->step].name, fa->name, j->agent->steps[j->records[j->next].step].name,
                        j->agent->name);
    j->next = j->n_calls;
    report_settled(j);
}

/* After an interrupt nothing new starts: what is left is recorded as not run, with
 * the reason, so the partial run's records still account for every planned call. */
void tdm_job_cancel(tdm_agent_job *j, int64_t now)
{
    for (size_t i = j->next; i < j->n_calls; i++)
        tdm_record_fail(&j->records[i], TDM_ERR_SKIPPED, now, "%s",
                        "not run: the run was interrupted (SIGINT/SIGTERM) before this call started");
    j->next = j->n_calls;
    report_settled(j);
}

void tdm_job_warmup_step(const tdm_scenario *s, const tdm_step *first, tdm_step *warm, tdm_options *extra)
{
    /* Same model, options and system prompt as the first step (so Ollama loads it
     * exactly as the measured calls need it), but a prompt of its own. */
    *warm = *first;
    warm->prompt = s->warmup_prompt ? s->warmup_prompt : TDM_WARMUP_PROMPT;
    *extra = (tdm_options){0};
    tdm_options_set(extra, TDM_OPT_NUM_PREDICT, s->warmup_num_predict);
}

/* The body from the step and what it builds on: the agent's previous text, the outputs
 * of the steps it waits for (board), and with history the agent's earlier turns. */
static char *build_body(tdm_agent_job *j, tdm_call_record *r, const tdm_step *step, const tdm_options *extra)
{
    tdm_request_inputs in = {.previous = j->next > 0 ? tdm_buf_str(&j->records[j->next - 1].text) : NULL};
    const char **outs = NULL, **prompts = NULL, **replies = NULL;
    char *body = NULL;
    if (j->board && !j->warmup && step->n_after) {
        if (!(outs = calloc(step->n_after, sizeof *outs)))
            return NULL;
        for (size_t k = 0; k < step->n_after; k++)
            outs[k] = tdm_board_text(j->board, step->deps[k].agent, step->deps[k].step);
        in.outputs = outs;
    }
    if (j->agent->history && !j->warmup && j->next > 0) {
        prompts = calloc(j->next, sizeof *prompts);
        replies = calloc(j->next, sizeof *replies);
        if (!prompts || !replies)
            goto done;
        for (size_t k = 0; k < j->next; k++) {
            prompts[k] = j->records[k].prompt_sent ? j->records[k].prompt_sent : "";
            replies[k] = tdm_buf_str(&j->records[k].text);
        }
        in.n_turns = j->next;
        in.turn_prompts = prompts;
        in.turn_replies = replies;
    }
    if (j->agent->history && !j->warmup && !(r->prompt_sent = tdm_request_prompt_in(step, &in)))
        goto done;
    body = tdm_request_body_in(j->agent, step, &in, extra);
done:
    free(outs);
    free(prompts);
    free(replies);
    return body;
}

/* The URL and body of record r's call (heap strings; NULL on out of memory). */
static void make_request(tdm_agent_job *j, tdm_call_record *r, char **url, char **body)
{
    const tdm_step *step = &j->agent->steps[r->step];
    tdm_step warm;
    tdm_options extra = {0};
    if (j->warmup) {
        tdm_job_warmup_step(j->scenario, step, &warm, &extra);
        step = &warm;
    }
    *url = tdm_request_url(j->agent);
    *body = build_body(j, r, step, j->warmup ? &extra : NULL);
}

int tdm_job_prepare(tdm_agent_job *j)
{
    if (j->n_calls == 0 || j->first_body)
        return 0;
    /* A workflow step that embeds other agents' outputs is built once they exist. */
    const tdm_step *first = &j->agent->steps[j->records[0].step];
    if (!j->warmup && first->n_after)
        return 0;
    make_request(j, &j->records[0], &j->first_url, &j->first_body);
    if (j->first_url && j->first_body)
        return 0;
    tdm_job_drop_prepared(j);
    return -1;
}

void tdm_job_drop_prepared(tdm_agent_job *j)
{
    free(j->first_url);
    free(j->first_body);
    j->first_url = j->first_body = NULL;
}

tdm_call_record *tdm_job_next(tdm_agent_job *j, char **url, char **body, int64_t now)
{
    if (j->next == 0 && j->t_begin == 0)
        j->t_begin = now;
    if (j->next >= j->n_calls)
        return NULL;
    /* The interrupt first: a call it cut must not be named as the reason for the rest. */
    if (tdm_interrupt_requested()) {
        tdm_job_cancel(j, now);
        return NULL;
    }
    if (j->next > 0 && !j->records[j->next - 1].ok) {
        skip_rest(j, now);
        return NULL;
    }
    tdm_call_record *r = &j->records[j->next];
    const tdm_step *step = &j->agent->steps[r->step];
    if (j->board && !j->warmup) {
        tdm_step_ref failed;
        bool has_failed;
        tdm_board_inputs_at(j->board, (size_t)j->agent_index, (size_t)r->step, &failed, &has_failed);
        if (has_failed) {
            skip_for_input(j, &failed, now);
            return NULL;
        }
    }
    r->t_due = tdm_job_due(j);
    if (j->board && !j->warmup) {
        /* What the step waited for, as raw material of the critical path. */
        r->think_ns = think_ns(j, r);
        if (step->n_after && (r->after = malloc(step->n_after * sizeof *r->after)) != NULL) {
            memcpy(r->after, step->deps, step->n_after * sizeof *r->after);
            r->n_after = step->n_after;
        }
    }
    if (j->next == 0 && j->first_body) {
        /* Built before the release (tdm_job_prepare). */
        *url = j->first_url;
        *body = j->first_body;
        j->first_url = j->first_body = NULL;
    } else {
        make_request(j, r, url, body);
    }
    if (!*url || !*body) {
        free(*url);
        free(*body);
        *url = *body = NULL;
        tdm_record_fail(r, TDM_ERR_INTERNAL, now, "out of memory building the request");
        j->next++;
        skip_rest(j, now);
        return NULL;
    }
    r->request_url = strdup(*url);
    r->request_bytes = strlen(*body);
    j->next++;
    return r;
}

bool tdm_job_call_finished(tdm_agent_job *j, int64_t now)
{
    report_settled(j);
    bool last_failed = j->next > 0 && !j->records[j->next - 1].ok;
    bool stopped = tdm_interrupt_requested();
    if (j->next >= j->n_calls || last_failed || stopped) {
        if (stopped)
            tdm_job_cancel(j, now);
        else if (last_failed)
            skip_rest(j, now);
        if (j->t_end == 0)
            j->t_end = now;
        return true;
    }
    return false;
}
