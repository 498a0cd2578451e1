/* scenario_workflow.c — agents that depend on each other (see tdm_step in scenario.h):
 * after: names resolved to steps, {output:AGENT.STEP} placeholders checked against them,
 * no cycle, history only on the chat API; and the order a workflow's sequential phase
 * runs its steps in.
 *
 * Real agents are workflows: one waits for another's output, several fan out and a third
 * merges them. Everything about the graph is settled here, once, when the scenario is
 * loaded, so the runtimes only ever ask "is this call due?" (job.c). */
#include "core/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int tdm_workflow_find_step(const tdm_scenario *s, const char *ref, size_t len, tdm_step_ref *out)
{
    /* Agent and step names may both hold '.', so every split is tried. */
    for (size_t i = 0; i < s->n_agents; i++) {
        const char *an = s->agents[i].name;
        size_t n = an ? strlen(an) : 0;
        if (!n || n + 1 >= len || strncmp(ref, an, n) != 0 || ref[n] != '.')
            continue;
        for (size_t k = 0; k < s->agents[i].n_steps; k++) {
            const char *sn = s->agents[i].steps[k].name;
            if (sn && strlen(sn) == len - n - 1 && strncmp(ref + n + 1, sn, len - n - 1) == 0) {
                *out = (tdm_step_ref){i, k};
                return 0;
            }
        }
    }
    return -1;
}

/* Every {output:X} of a prompt names a step of after:, so the step waits for what it embeds. */
static int check_outputs(const tdm_step *st, const char *f, char *err, size_t errlen)
{
    for (const char *p = strstr(st->prompt, TDM_OUTPUT_MARK); p; p = strstr(p + 1, TDM_OUTPUT_MARK)) {
        const char *name = p + strlen(TDM_OUTPUT_MARK);
        const char *end = strchr(name, '}');
        if (!end)
            return fail(err, errlen, "%s.prompt: '" TDM_OUTPUT_MARK "' has no closing '}'; write {output:AGENT.STEP}",
                        f);
        bool listed = false;
        for (size_t j = 0; j < st->n_after && !listed; j++)
            listed = strlen(st->after[j]) == (size_t)(end - name) && strncmp(st->after[j], name, end - name) == 0;
        if (!listed)
            return fail(err, errlen,
                        "%s.prompt: embeds {output:%.*s}, which is not in the step's after:; add '%.*s' to after: "
                        "(a step waits for the outputs it embeds)",
                        f, (int)(end - name), name, (int)(end - name), name);
    }
    if (st->system && strstr(st->system, TDM_OUTPUT_MARK))
        return fail(err, errlen, "%s.system: contains " TDM_OUTPUT_MARK "...}, which is replaced only in prompts; move "
                                 "it into the prompt",
                    f);
    return 0;
}

static int resolve_step(tdm_scenario *s, size_t i, size_t k, char *err, size_t errlen)
{
    tdm_step *st = &s->agents[i].steps[k];
    char f[96];
    snprintf(f, sizeof f, "agents[%zu].steps[%zu]", i, k);
    free(st->deps);
    st->deps = NULL;
    if (st->n_after) {
        if (!(st->deps = calloc(st->n_after, sizeof *st->deps)))
            return fail(err, errlen, "%s.after: out of memory", f);
        for (size_t j = 0; j < st->n_after; j++) {
            const char *ref = st->after[j] ? st->after[j] : "";
            if (tdm_workflow_find_step(s, ref, strlen(ref), &st->deps[j]) != 0)
                return fail(err, errlen,
                            "%s.after[%zu]: '%s' names no step; write AGENT.STEP with an agent's name and one of "
                            "its step names (e.g. collector.analysis)",
                            f, j, ref);
            if (st->deps[j].agent == i)
                return fail(err, errlen,
                            "%s.after[%zu]: '%s' is a step of this same agent, whose steps already run in order; "
                            "remove it",
                            f, j, ref);
            for (size_t q = 0; q < j; q++)
                if (st->deps[q].agent == st->deps[j].agent && st->deps[q].step == st->deps[j].step)
                    return fail(err, errlen, "%s.after[%zu]: '%s' is listed twice; list each step once", f, j, ref);
        }
    }
    return check_outputs(st, f, err, errlen);
}

/* Depth-first search for a cycle through dependencies and each agent's own order;
 * color 0 unseen, 1 on the path, 2 done. base[i] is agent i's first flat index. */
static bool cyclic(const tdm_scenario *s, const size_t *base, unsigned char *color, size_t i, size_t k,
                   tdm_step_ref *at)
{
    unsigned char *c = &color[base[i] + k];
    if (*c == 2)
        return false;
    if (*c == 1) {
        *at = (tdm_step_ref){i, k};
        return true;
    }
    *c = 1;
    const tdm_step *st = &s->agents[i].steps[k];
    if (k > 0 && cyclic(s, base, color, i, k - 1, at))
        return true;
    for (size_t j = 0; j < st->n_after; j++)
        if (cyclic(s, base, color, st->deps[j].agent, st->deps[j].step, at))
            return true;
    *c = 2;
    return false;
}

int tdm_scenario_resolve_workflow(tdm_scenario *s, char *err, size_t errlen)
{
    bool workflow = false;
    for (size_t i = 0; i < s->n_agents; i++) {
        const tdm_agent *a = &s->agents[i];
        if (a->history && !tdm_api_has_messages(a->api))
            return fail(err, errlen,
                        "agents[%zu].history: needs api: chat or openai (the conversation so far is sent as "
                        "messages); set one of them or remove history:",
                        i);
        workflow = workflow || a->history;
        for (size_t k = 0; k < a->n_steps; k++) {
            if (resolve_step(s, i, k, err, errlen) != 0)
                return -1;
            workflow = workflow || a->steps[k].n_after || a->steps[k].think_ns;
        }
    }
    s->workflow = workflow;
    if (!workflow)
        return 0;
    if (s->arrivals.process != TDM_ARRIVALS_NONE)
        return fail(err, errlen,
                    "arrivals: open-loop arrivals make one independent call each, so they take no workflow keys "
                    "(after:, think_ms:, history:); remove those or the arrivals");
    size_t *base = calloc(s->n_agents + 1, sizeof *base);
    if (!base)
        return fail(err, errlen, "workflow: out of memory");
    for (size_t i = 0; i < s->n_agents; i++)
        base[i + 1] = base[i] + s->agents[i].n_steps;
    unsigned char *color = calloc(base[s->n_agents] ? base[s->n_agents] : 1, 1);
    int rc = 0;
    if (!color) {
        rc = fail(err, errlen, "workflow: out of memory");
    } else {
        tdm_step_ref at;
        for (size_t i = 0; i < s->n_agents && rc == 0; i++)
            for (size_t k = 0; k < s->agents[i].n_steps && rc == 0; k++)
                if (cyclic(s, base, color, i, k, &at))
                    rc = fail(err, errlen,
                              "agents[%zu].steps[%zu].after: the steps wait for each other in a circle through "
                              "%s.%s; break the cycle (a step can only wait for steps that can finish without it)",
                              i, k, s->agents[at.agent].name, s->agents[at.agent].steps[at.step].name);
    }
    free(color);
    free(base);
    return rc;
}

size_t tdm_workflow_order(const tdm_scenario *s, const int *agent_order, tdm_step_ref *out)
{
    /* Kahn's algorithm over (agent, step); among the steps ready, the one whose agent
     * comes first in agent_order, so a workflow without dependencies runs agent by agent
     * exactly as the sequential phase always has. */
    size_t n = s->n_agents, done = 0;
    size_t *next = calloc(n ? n : 1, sizeof *next); /* each agent's next step */
    if (!next)
        return 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += s->agents[i].n_steps;
    while (done < total) {
        size_t best = n;
        for (size_t r = 0; r < n && best == n; r++) {
            size_t i = (size_t)agent_order[r];
            if (next[i] >= s->agents[i].n_steps)
                continue;
            const tdm_step *st = &s->agents[i].steps[next[i]];
            bool ready = true;
            for (size_t j = 0; j < st->n_after && ready; j++)
                ready = next[st->deps[j].agent] > st->deps[j].step;
            if (ready)
                best = i;
        }
        if (best == n)
            break; /* a cycle: validation refuses those */
        out[done++] = (tdm_step_ref){best, next[best]++};
    }
    free(next);
    return done;
}
