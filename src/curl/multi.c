/* multi.c — loop-independent multi_socket handling shared by the curl drivers (see multi.h). */
#include "curl/multi.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/interrupt.h"

int tdm_curl_multi_init(tdm_curl_multi *m, long buffer_size, size_t max_agents, tdm_curl_multi_done_fn on_done,
                        void *ud)
{
    *m = (tdm_curl_multi){0};
    m->transfers = calloc(max_agents ? max_agents : 1, sizeof *m->transfers);
    m->multi = curl_multi_init();
    if (!m->transfers || !m->multi) {
        free(m->transfers);
        if (m->multi)
            curl_multi_cleanup(m->multi);
        *m = (tdm_curl_multi){0};
        return -1;
    }
    m->max_agents = max_agents;
    m->buffer_size = buffer_size;
    m->on_done = on_done;
    m->on_done_ud = ud;
    /* One idle connection per agent survives between calls and phases. curl's default
     * cache holds 4 per easy handle *currently added*: one handle at a time in the warm-up
     * and sequential phases, so all but 4 agents' connections were closed there and the
     * concurrent phase opened most of its connections after the barrier (28 of 32
     * connects in its start-up). hyper's pool, the reference, keeps every idle connection. */
    if (max_agents > 0)
        curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)max_agents);
    return 0;
}

void tdm_curl_multi_cleanup(tdm_curl_multi *m)
{
    for (size_t i = 0; i < m->max_agents; i++) {
        tdm_curl_transfer *t = &m->transfers[i];
        if (t->active)
            curl_multi_remove_handle(m->multi, t->easy);
        tdm_curl_transfer_cleanup(t);
    }
    if (m->multi)
        curl_multi_cleanup(m->multi); /* may call the socket callback (REMOVE) for cached connections */
    free(m->transfers);
    *m = (tdm_curl_multi){0};
}

static void job_done(tdm_curl_multi *m, tdm_curl_transfer *t)
{
    m->active--;
    if (m->on_done)
        m->on_done(t->job, m->on_done_ud);
}

/* The hold timer at the earliest held call's due instant, or stopped when none is held.
 * A scan over the agents: holds are few events per agent, and only open-loop runs have any. */
static void arm_hold(tdm_curl_multi *m)
{
    if (!m->on_hold)
        return;
    int64_t first = 0;
    for (size_t i = 0; m->held > 0 && i < m->max_agents; i++) {
        int64_t due = m->transfers[i].held_until;
        if (due > 0 && due != TDM_JOB_WAIT && (first == 0 || due < first))
            first = due; /* a call waiting for another step needs no timer: a wake-up comes */
    }
    m->on_hold(first, m->on_hold_ud);
}

/* Starts the agent's next call (once it is due), or records that the agent is done. */
static void start_or_finish(tdm_curl_multi *m, tdm_curl_transfer *t, int64_t now)
{
    int64_t due = tdm_job_due(t->job);
    if (due > now && m->on_hold && !tdm_interrupt_requested()) {
        t->held_until = due;
        m->held++;
        arm_hold(m);
        return;
    }
    while (tdm_curl_transfer_next(t, now)) {
        if (curl_multi_add_handle(m->multi, t->easy) == CURLM_OK) {
            m->added++;
            return;
        }
        /* Cannot happen with a fresh easy handle; settle rather than hang. */
        tdm_call_fail(&t->call, TDM_ERR_INTERNAL, now, "curl_multi_add_handle failed");
        if (!tdm_curl_transfer_done(t, CURLE_FAILED_INIT, now)) {
            job_done(m, t);
            return;
        }
    }
    tdm_job_call_finished(t->job, now);
    job_done(m, t);
}

static void finish_transfer(tdm_curl_multi *m, tdm_curl_transfer *t, CURLcode rc, int64_t now)
{
    curl_multi_remove_handle(m->multi, t->easy);
    if (tdm_curl_transfer_retry_stale(t, rc) && curl_multi_add_handle(m->multi, t->easy) == CURLM_OK) {
        m->added++;
        return;
    }
    if (tdm_curl_transfer_done(t, rc, now))
        start_or_finish(m, t, now);
    else
        job_done(m, t);
}

/* Drains every finished transfer (curl reports a transfer's end only through
 * curl_multi_info_read, and a message left unread would leave its agent waiting
 * forever), then runs curl for the calls that started, until nothing is left of either. */
static void settle(tdm_curl_multi *m)
{
    for (;;) {
        CURLMsg *msg;
        int pending;
        while ((msg = curl_multi_info_read(m->multi, &pending)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            tdm_curl_transfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if (t)
                finish_transfer(m, t, msg->data.result, tdm_now_ns());
        }
        if (m->added == 0)
            return;
        /* curl_multi_add_handle made each new handle due "now" and asked the driver for a
         * 0 ms timer; running curl here writes the requests at once. curl then re-arms
         * (or cancels) that timer itself through the timer callback. */
        m->added = 0;
        int running;
        curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}

int tdm_curl_multi_add_job(tdm_curl_multi *m, tdm_agent_job *job, int64_t now)
{
    if (job->agent_index < 0 || (size_t)job->agent_index >= m->max_agents)
        return -1;
    tdm_curl_transfer *t = &m->transfers[job->agent_index];
    if (!t->easy && tdm_curl_transfer_init(t, job, m->buffer_size) != 0) {
        tdm_curl_transfer_cleanup(t);
        return -1;
    }
    t->job = job;
    m->active++;
    start_or_finish(m, t, now);
    return 0;
}

void tdm_curl_multi_kick(tdm_curl_multi *m)
{
    settle(m);
}

void tdm_curl_multi_action(tdm_curl_multi *m, curl_socket_t s, int flags)
{
    int running;
    curl_multi_socket_action(m->multi, s, flags, &running);
    settle(m);
}

void tdm_curl_multi_on_hold(tdm_curl_multi *m, tdm_curl_multi_hold_fn fn, void *ud)
{
    m->on_hold = fn;
    m->on_hold_ud = ud;
}

void tdm_curl_multi_release_due(tdm_curl_multi *m, int64_t now)
{
    bool all = tdm_interrupt_requested();
    for (size_t i = 0; m->held > 0 && i < m->max_agents; i++) {
        tdm_curl_transfer *t = &m->transfers[i];
        if (t->held_until == 0)
            continue;
        /* Asked again: a workflow step's inputs may exist by now. */
        int64_t due = all ? 0 : tdm_job_due(t->job);
        if (due <= now) {
            t->held_until = 0;
            m->held--;
            start_or_finish(m, t, now);
        } else {
            t->held_until = due;
        }
    }
    /* A timer that fired early (libuv counts whole milliseconds) finds its call still held
     * and is armed again for the rest. */
    arm_hold(m);
    settle(m);
}

void tdm_curl_multi_check_timeouts(tdm_curl_multi *m, int64_t now)
{
    /* What a hold timer should have released (one that could not be armed), and after
     * an interrupt every held call. */
    if (m->held > 0)
        tdm_curl_multi_release_due(m, now);
    for (size_t i = 0; i < m->max_agents; i++) {
        tdm_curl_transfer *t = &m->transfers[i];
        if (t->active && tdm_call_check_timeouts(&t->call, now))
            finish_transfer(m, t, CURLE_OPERATION_TIMEDOUT, now);
    }
    settle(m);
}
