/* scenario_template.c — N agents from one template (see scenario.h): copies of the
 * template agent, each with its own name and server, appended to a scenario's agents.
 *
 * Done by the loader before defaults and validation, so an agent count set by a sweep
 * axis needs no hand-written scenario and every consumer (runner, plan, report) still
 * sees ordinary agents. The copy goes through tdm_scenario_copy, so a field added to
 * tdm_agent later is copied here too without a change. */
#include "core/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, const char *field, const char *fmt,
                                                       ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", field, msg);
    return -1;
}

/* The endpoint of agent k (0-based) of n. */
static size_t endpoint_of(const tdm_agent_template *t, size_t k, size_t n)
{
    size_t e = t->n_endpoints;
    switch (t->placement) {
    case TDM_PLACE_PACKED: {
        size_t per = (n + e - 1) / e; /* ceil(n / e) >= 1 */
        return k / per;
    }
    case TDM_PLACE_LIST:
        return t->list[k % t->n_list];
    case TDM_PLACE_ROUND_ROBIN:
    default:
        return k % e;
    }
}

static int check(const tdm_agent_template *t, char *err, size_t errlen)
{
    if (!t || !t->agent)
        return fail(err, errlen, "agent_template", "missing; give the agent every generated agent copies");
    if (t->count < 1 || t->count > TDM_TEMPLATE_MAX_AGENTS)
        return fail(err, errlen, "agent_count", "%ld is out of range; use 1 to %d", t->count,
                    TDM_TEMPLATE_MAX_AGENTS);
    if (t->n_endpoints == 0 && !t->agent->url)
        return fail(err, errlen, "endpoints",
                    "missing; list the servers the agents are spread over (endpoints: [http://127.0.0.1:11434, "
                    "...]) or set defaults.url for one server");
    if (t->n_endpoints > 0 && t->agent->url)
        return fail(err, errlen, "agent_template.url",
                    "given together with endpoints:; the generated agents take their server from endpoints:, so "
                    "remove the url (or the endpoints: list)");
    for (size_t i = 0; i < t->n_endpoints; i++)
        if (!t->endpoints[i] || !*t->endpoints[i])
            return fail(err, errlen, "endpoints", "entry %zu is empty; write a base URL such as http://127.0.0.1:11434",
                        i);
    if (t->placement == TDM_PLACE_LIST) {
        if (t->n_list == 0 || !t->list)
            return fail(err, errlen, "placement_list",
                        "empty; list endpoint indices (0 for endpoints[0], ...) or drop it for round robin");
        for (size_t i = 0; i < t->n_list; i++)
            if (t->list[i] >= t->n_endpoints)
                return fail(err, errlen, "placement_list",
                            "entry %zu is %zu, but endpoints: has %zu entr%s (indices 0 to %zu); use an index "
                            "into endpoints:",
                            i, t->list[i], t->n_endpoints, t->n_endpoints == 1 ? "y" : "ies",
                            t->n_endpoints ? t->n_endpoints - 1 : 0);
    }
    return 0;
}

/* One copy of the template: a deep copy through a one-agent scenario. */
static int copy_agent(const tdm_agent *tmpl, tdm_agent *out)
{
    tdm_scenario one, dup;
    memset(&one, 0, sizeof one);
    one.agents = (tdm_agent *)tmpl; /* only read by tdm_scenario_copy */
    one.n_agents = 1;
    if (tdm_scenario_copy(&dup, &one) != 0)
        return -1;
    *out = dup.agents[0];
    free(dup.agents);
    dup.agents = NULL;
    dup.n_agents = 0;
    tdm_scenario_free(&dup);
    return 0;
}

/* Keeps only step k of an agent's steps (an arrival's one prompt from the pool). */
static void keep_one_step(tdm_agent *a, size_t keep)
{
    for (size_t i = 0; i < a->n_steps; i++) {
        if (i != keep)
            tdm_step_free(&a->steps[i]);
    }
    a->steps[0] = a->steps[keep];
    a->n_steps = 1;
}

static int set_str(char **dst, const char *s)
{
    char *d = strdup(s);
    if (!d)
        return -1;
    free(*dst);
    *dst = d;
    return 0;
}

int tdm_scenario_expand_template(tdm_scenario *s, const tdm_agent_template *t, char *err, size_t errlen)
{
    if (check(t, err, errlen) != 0)
        return -1;
    const char *base = t->agent->name && *t->agent->name ? t->agent->name : "agent";
    size_t n = (size_t)t->count;
    size_t before = s->n_agents;
    /* A generated name must not be one of the listed agents' names. */
    for (size_t i = 0; i < before; i++) {
        const char *nm = s->agents[i].name;
        size_t bl = strlen(base);
        if (nm && strncmp(nm, base, bl) == 0 && nm[bl] == '-') {
            char *end;
            unsigned long k = strtoul(nm + bl + 1, &end, 10);
            if (*end == '\0' && nm[bl + 1] >= '1' && nm[bl + 1] <= '9' && k >= 1 && k <= n)
                return fail(err, errlen, "agent_template.name",
                            "the generated agent '%s' has the name of agents[%zu]; give the template another "
                            "name: (the agents are named <name>-1 .. <name>-%zu)",
                            nm, i, n);
        }
    }
    /* Built apart, then moved in: on failure s keeps exactly the agents it had. */
    tdm_scenario gen;
    memset(&gen, 0, sizeof gen);
    if (!(gen.agents = calloc(n, sizeof *gen.agents)))
        return fail(err, errlen, "agent_template", "out of memory for %zu agents", n);
    char name[256];
    for (size_t k = 0; k < n; k++) {
        tdm_agent *a = &gen.agents[k];
        if (copy_agent(t->agent, a) != 0)
            goto oom;
        gen.n_agents++; /* from here on it is freed with gen */
        snprintf(name, sizeof name, "%.200s-%zu", base, k + 1);
        if (set_str(&a->name, name) != 0)
            goto oom;
        if (t->agent->label) {
            snprintf(name, sizeof name, "%.200s %zu", t->agent->label, k + 1);
            if (set_str(&a->label, name) != 0)
                goto oom;
        }
        if (t->n_endpoints) {
            size_t e = endpoint_of(t, k, n);
            if (set_str(&a->url, t->endpoints[e]) != 0)
                goto oom;
            if (!t->agent_api_set && t->endpoint_apis && t->endpoint_apis[e] < TDM_API_COUNT)
                a->api = t->endpoint_apis[e];
        }
        if (t->start_ns) {
            a->start_ns = t->start_ns[k];
            if (a->n_steps > 1)
                keep_one_step(a, k % a->n_steps);
        }
    }
    tdm_agent *grown = realloc(s->agents, (before + n) * sizeof *grown);
    if (!grown)
        goto oom;
    memcpy(grown + before, gen.agents, n * sizeof *grown);
    s->agents = grown;
    s->n_agents = before + n;
    free(gen.agents);
    return 0;
oom:
    tdm_scenario_free(&gen);
    return fail(err, errlen, "agent_template", "out of memory for %zu agents", n);
}
