/* job.c — step sequencing for one agent in one phase (see job.h). */
#include "core/job.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/interrupt.h"
#include "core/request.h"

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
}

void tdm_jobs_released(tdm_agent_job *jobs, size_t n, int64_t t_release)
{
    for (size_t i = 0; i < n; i++)
        jobs[i].t_release = t_release;
}

int64_t tdm_job_due(const tdm_agent_job *j)
{
    if (!j->timed || j->next != 0 || j->t_release <= 0 || j->next >= j->n_calls)
        return 0;
    return j->t_release + j->start_ns;
}

/* Slices short enough that an interrupt ends a long hold within a human's patience. */
#define HOLD_SLICE_NS 50000000LL

void tdm_job_wait_due(const tdm_agent_job *j)
{
    int64_t due = tdm_job_due(j);
    for (int64_t now = tdm_now_ns(); due > now && !tdm_interrupt_requested(); now = tdm_now_ns())
        tdm_sleep_ns(due - now < HOLD_SLICE_NS ? due - now : HOLD_SLICE_NS);
}

static void skip_rest(tdm_agent_job *j, int64_t now)
{
    for (size_t i = j->next; i < j->n_calls; i++)
        tdm_record_fail(&j->records[i], TDM_ERR_SKIPPED, now,
                        "not run: step %zu of agent '%s' failed before it", j->next, j->agent->name);
    j->next = j->n_calls;
}

/* After an interrupt nothing new starts: what is left is recorded as not run, with
 * the reason, so the partial run's records still account for every planned call. */
void tdm_job_cancel(tdm_agent_job *j, int64_t now)
{
    for (size_t i = j->next; i < j->n_calls; i++)
        tdm_record_fail(&j->records[i], TDM_ERR_SKIPPED, now, "%s",
                        "not run: the run was interrupted (SIGINT/SIGTERM) before this call started");
    j->next = j->n_calls;
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
    r->t_due = tdm_job_due(j);
    const tdm_step *step = &j->agent->steps[r->step];
    tdm_step warm;
    tdm_options extra = {0};
    if (j->warmup) {
        tdm_job_warmup_step(j->scenario, step, &warm, &extra);
        step = &warm;
    }
    const char *prev = j->next > 0 ? tdm_buf_str(&j->records[j->next - 1].text) : NULL;
    *url = tdm_request_url(j->agent);
    *body = tdm_request_body(j->agent, step, prev, j->warmup ? &extra : NULL);
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
