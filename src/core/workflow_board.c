/* workflow_board.c — a workflow's shared state during one phase (see workflow_board.h). */
#include "core/workflow_board.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

struct tdm_board {
    const tdm_scenario *s;
    size_t *base;                   /* agent i's steps start at flat index base[i] */
    int64_t *done_at;               /* per step: t_done once finished ok, -1 failed or skipped, 0 not yet */
    const tdm_call_record **rec;    /* per finished step: its record */
    tdm_step_ref *order;            /* serial: the steps in turn; NULL otherwise */
    size_t n_order, turn;
    int64_t turn_at;                /* serial: when the step before the turn finished (0: none yet) */
    uint64_t generation;            /* steps finished so far */
    pthread_mutex_t mu;
    pthread_cond_t changed;         /* on CLOCK_MONOTONIC, the client clock */
    void (*on_change)(void *ud);
    void *on_change_ud;
};

tdm_board *tdm_board_new(const tdm_scenario *s, const tdm_step_ref *order, size_t n)
{
    tdm_board *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->s = s;
    b->base = calloc(s->n_agents + 1, sizeof *b->base);
    if (b->base)
        for (size_t i = 0; i < s->n_agents; i++)
            b->base[i + 1] = b->base[i] + s->agents[i].n_steps;
    size_t total = b->base ? b->base[s->n_agents] : 0;
    b->done_at = calloc(total ? total : 1, sizeof *b->done_at);
    b->rec = calloc(total ? total : 1, sizeof *b->rec);
    if (order && (b->order = malloc((n ? n : 1) * sizeof *b->order)) != NULL) {
        memcpy(b->order, order, n * sizeof *order);
        b->n_order = n;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->changed, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->mu, NULL);
    if (!b->base || !b->done_at || !b->rec || (order && !b->order)) {
        tdm_board_free(b);
        return NULL;
    }
    return b;
}

void tdm_board_free(tdm_board *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->changed);
    free(b->base);
    free(b->done_at);
    free(b->rec);
    free(b->order);
    free(b);
}

void tdm_board_on_change(tdm_board *b, void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&b->mu);
    b->on_change = fn;
    b->on_change_ud = ud;
    pthread_mutex_unlock(&b->mu);
}

int64_t tdm_board_inputs_at(tdm_board *b, size_t agent, size_t step, tdm_step_ref *failed, bool *has_failed)
{
    const tdm_step *st = &b->s->agents[agent].steps[step];
    int64_t at = 0;
    *has_failed = false;
    pthread_mutex_lock(&b->mu);
    if (b->order && (b->turn >= b->n_order || b->order[b->turn].agent != agent || b->order[b->turn].step != step))
        at = TDM_DUE_WAIT;
    else if (b->order)
        at = b->turn_at; /* its turn came when the step before it finished */
    for (size_t j = 0; j < st->n_after && at != TDM_DUE_WAIT; j++) {
        int64_t d = b->done_at[b->base[st->deps[j].agent] + st->deps[j].step];
        if (d < 0) {
            *failed = st->deps[j];
            *has_failed = true;
        } else if (d == 0) {
            at = TDM_DUE_WAIT;
        } else if (d > at) {
            at = d;
        }
    }
    pthread_mutex_unlock(&b->mu);
    /* A failed input settles it: the step is skipped at once, whatever else it waits for. */
    return *has_failed ? 0 : at;
}

void tdm_board_step_done(tdm_board *b, size_t agent, size_t step, const tdm_call_record *rec)
{
    pthread_mutex_lock(&b->mu);
    size_t f = b->base[agent] + step;
    /* A finished call's t_done is never 0; a failed one's input is unusable. */
    b->done_at[f] = rec->ok ? (rec->t_done > 0 ? rec->t_done : 1) : -1;
    b->rec[f] = rec;
    while (b->order && b->turn < b->n_order &&
           b->done_at[b->base[b->order[b->turn].agent] + b->order[b->turn].step] != 0) {
        const tdm_call_record *done = b->rec[b->base[b->order[b->turn].agent] + b->order[b->turn].step];
        if (done && done->t_done > b->turn_at)
            b->turn_at = done->t_done;
        b->turn++;
    }
    b->generation++;
    void (*fn)(void *) = b->on_change;
    void *ud = b->on_change_ud;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->mu);
    if (fn)
        fn(ud);
}

const char *tdm_board_text(tdm_board *b, size_t agent, size_t step)
{
    pthread_mutex_lock(&b->mu);
    const tdm_call_record *r = b->rec[b->base[agent] + step];
    pthread_mutex_unlock(&b->mu);
    return r ? tdm_buf_str(&r->text) : "";
}

uint64_t tdm_board_generation(tdm_board *b)
{
    pthread_mutex_lock(&b->mu);
    uint64_t g = b->generation;
    pthread_mutex_unlock(&b->mu);
    return g;
}

void tdm_board_wait(tdm_board *b, uint64_t gen, int64_t until_ns)
{
    struct timespec ts = {.tv_sec = until_ns / 1000000000LL, .tv_nsec = until_ns % 1000000000LL};
    pthread_mutex_lock(&b->mu);
    int rc = 0;
    while (b->generation == gen && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&b->changed, &b->mu, &ts);
    pthread_mutex_unlock(&b->mu);
}
