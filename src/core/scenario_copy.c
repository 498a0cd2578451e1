/* scenario_copy.c — deep copy and release of a scenario. Every string and array a
 * scenario points to is its own heap allocation, so a copy can outlive its source
 * (a runner keeps the scenario it ran beside its results). */
#include "core/scenario.h"

#include <stdlib.h>
#include <string.h>

/* strdup that keeps NULL as NULL; *ok turns false when memory ran out. */
static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

void tdm_step_free(tdm_step *st)
{
    free(st->name);
    free(st->prompt);
    free(st->system);
    for (size_t i = 0; st->after && i < st->n_after; i++)
        free(st->after[i]);
    free(st->after);
    free(st->deps);
}

static bool step_copy(tdm_step *d, const tdm_step *st)
{
    bool ok = true;
    *d = *st;
    d->after = NULL;
    d->deps = NULL;
    d->n_after = 0;
    d->name = dup_or_null(st->name, &ok);
    d->prompt = dup_or_null(st->prompt, &ok);
    d->system = dup_or_null(st->system, &ok);
    if (st->n_after && st->after) {
        if (!(d->after = calloc(st->n_after, sizeof *d->after)))
            return false;
        d->n_after = st->n_after;
        for (size_t i = 0; i < st->n_after; i++)
            d->after[i] = dup_or_null(st->after[i], &ok);
        if (st->deps) {
            if (!(d->deps = malloc(st->n_after * sizeof *d->deps)))
                return false;
            memcpy(d->deps, st->deps, st->n_after * sizeof *d->deps);
        }
    }
    return ok;
}

static void agent_free(tdm_agent *a)
{
    free(a->name);
    free(a->label);
    free(a->url);
    free(a->model);
    free(a->keep_alive);
    if (a->steps)
        for (size_t k = 0; k < a->n_steps; k++)
            tdm_step_free(&a->steps[k]);
    free(a->steps);
}

void tdm_scenario_free(tdm_scenario *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->description);
    free(s->warmup_prompt);
    if (s->agents)
        for (size_t i = 0; i < s->n_agents; i++)
            agent_free(&s->agents[i]);
    free(s->agents);
    memset(s, 0, sizeof *s);
}

static bool agent_copy(tdm_agent *d, const tdm_agent *a)
{
    bool ok = true;
    *d = *a;
    d->steps = NULL;
    d->n_steps = 0;
    d->name = dup_or_null(a->name, &ok);
    d->label = dup_or_null(a->label, &ok);
    d->url = dup_or_null(a->url, &ok);
    d->model = dup_or_null(a->model, &ok);
    d->keep_alive = dup_or_null(a->keep_alive, &ok);
    if (a->n_steps && a->steps) {
        d->steps = calloc(a->n_steps, sizeof *d->steps);
        if (!d->steps)
            return false;
        d->n_steps = a->n_steps;
        for (size_t k = 0; k < a->n_steps; k++)
            if (!step_copy(&d->steps[k], &a->steps[k]))
                ok = false;
    }
    return ok;
}

int tdm_scenario_copy(tdm_scenario *dst, const tdm_scenario *src)
{
    bool ok = true;
    *dst = *src;
    dst->agents = NULL;
    dst->n_agents = 0;
    dst->name = dup_or_null(src->name, &ok);
    dst->description = dup_or_null(src->description, &ok);
    dst->warmup_prompt = dup_or_null(src->warmup_prompt, &ok);
    if (ok && src->n_agents && src->agents) {
        dst->agents = calloc(src->n_agents, sizeof *dst->agents);
        if (!dst->agents) {
            ok = false;
        } else {
            /* n_agents grows with each agent so a failure frees exactly what was built. */
            for (size_t i = 0; i < src->n_agents && ok; i++) {
                dst->n_agents = i + 1;
                ok = agent_copy(&dst->agents[i], &src->agents[i]);
            }
        }
    }
    if (!ok) {
        tdm_scenario_free(dst);
        return -1;
    }
    return 0;
}
