/* scenario_builtin.c — the seed harness's built-in scenarios (see scenario_builtin.h). */
#include "core/scenario_builtin.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/seed_prompts.h"

typedef enum kind { BASELINE_VS_CHIMERA, CHIMERA_HETERO, CHIMERA_HOMO, KIND_COUNT } kind;

const char *const tdm_builtin_scenario_names[] = {"baseline-vs-chimera", "chimera-hetero", "chimera-homo", NULL};

static const struct {
    const char *description;
    const char *labels[2];
} info[KIND_COUNT] = {
    [BASELINE_VS_CHIMERA] = {"seed scenario: a collector on Ollama's defaults (no options) beside an insight "
                             "agent with the Chimera options",
                             {"Baseline Collector", "Chimera Insight"}},
    [CHIMERA_HETERO] = {"seed scenario: two agents with different Chimera options (chimera, chimera2)",
                        {"Chimera Agent A", "Chimera Agent B"}},
    [CHIMERA_HOMO] = {"seed scenario: two agents with the same Chimera options",
                      {"Chimera Agent A", "Chimera Agent B"}},
};

void tdm_builtin_args_init(tdm_builtin_args *a)
{
    memset(a, 0, sizeof *a);
    a->model = "gemma3:latest";
    a->collector_url = "http://localhost:11434";
    a->insight_url = "http://localhost:11435";
    a->runs = 1;
    a->calls_per_agent = 2;
}

/* The seed spelled its scenarios with '_' (baseline_vs_chimera); accept both. */
static bool same_name(const char *given, const char *canonical)
{
    for (; *given && *canonical; given++, canonical++) {
        char g = *given == '_' ? '-' : (char)tolower((unsigned char)*given);
        if (g != *canonical)
            return false;
    }
    return *given == *canonical;
}

static char *dup_or(const char *s, const char *fallback, bool *ok)
{
    const char *v = s ? s : fallback;
    if (!v)
        return NULL;
    char *d = strdup(v);
    if (!d)
        *ok = false;
    return d;
}

static bool build_agent(tdm_agent *ag, const tdm_builtin_args *a, const char *name, const char *label,
                        const char *url, const char *default_url, const char *prompt, const tdm_options *opts)
{
    bool ok = true;
    tdm_agent_init(ag);
    ag->name = dup_or(name, NULL, &ok);
    ag->label = dup_or(label, NULL, &ok);
    ag->url = dup_or(url, default_url, &ok);
    ag->model = dup_or(a->model, "gemma3:latest", &ok);
    ag->keep_alive = dup_or(a->keep_alive, NULL, &ok);
    ag->options = *opts;
    size_t n = a->calls_per_agent == 1 ? 1 : 2;
    if (!ok || !(ag->steps = calloc(n, sizeof *ag->steps)))
        return false;
    ag->n_steps = n;
    ag->steps[0].name = dup_or("analysis", NULL, &ok);
    ag->steps[0].prompt = dup_or(prompt, NULL, &ok);
    if (n == 2) {
        ag->steps[1].name = dup_or("report", NULL, &ok);
        ag->steps[1].prompt = dup_or(tdm_seed_report_prompt, NULL, &ok);
    }
    return ok;
}

bool tdm_scenario_builtin_exists(const char *name)
{
    for (int k = 0; name && k < KIND_COUNT; k++)
        if (same_name(name, tdm_builtin_scenario_names[k]))
            return true;
    return false;
}

int tdm_scenario_builtin(const tdm_builtin_args *a, tdm_scenario *out, char *err, size_t errlen)
{
    char dummy[1];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    memset(out, 0, sizeof *out);
    int k = 0;
    while (k < KIND_COUNT && !(a->scenario && same_name(a->scenario, tdm_builtin_scenario_names[k])))
        k++;
    if (k == KIND_COUNT) {
        snprintf(err, errlen,
                 "scenario '%s' is not a built-in one; choose baseline-vs-chimera, chimera-hetero or "
                 "chimera-homo, or give a YAML scenario file",
                 a->scenario ? a->scenario : "");
        return -1;
    }
    const char *name = tdm_builtin_scenario_names[k];
    if (a->calls_per_agent != 1 && a->calls_per_agent != 2) {
        snprintf(err, errlen,
                 "built-in scenario %s: calls_per_agent is %d; use 1 (analysis only, the seed's first "
                 "generation) or 2 (analysis, then report, its second)",
                 name, a->calls_per_agent);
        return -1;
    }

    tdm_options chimera = {0};
    tdm_options_set(&chimera, TDM_OPT_NUM_GPU, 80);
    tdm_options_set(&chimera, TDM_OPT_NUM_CTX, 512);
    tdm_options_set(&chimera, TDM_OPT_TEMPERATURE, 1.0);
    tdm_options_merge(&chimera, &a->common);
    tdm_options_merge(&chimera, &a->chimera);
    tdm_options chimera2 = chimera;
    tdm_options_merge(&chimera2, &a->chimera2);

    const tdm_options *opts[2];
    switch ((kind)k) {
    case BASELINE_VS_CHIMERA:
        opts[0] = &a->common, opts[1] = &chimera;
        break;
    case CHIMERA_HETERO:
        opts[0] = &chimera, opts[1] = &chimera2;
        break;
    default:
        opts[0] = &chimera, opts[1] = &chimera;
        break;
    }

    tdm_scenario s;
    tdm_scenario_init(&s);
    s.runs = a->runs;
    bool ok = true;
    s.name = dup_or(name, NULL, &ok);
    s.description = dup_or(info[k].description, NULL, &ok);
    if (ok && (s.agents = calloc(2, sizeof *s.agents)) != NULL) {
        s.n_agents = 2;
        ok = build_agent(&s.agents[0], a, "collector", info[k].labels[0], a->collector_url,
                         "http://localhost:11434", tdm_seed_collector_prompt, opts[0]) &&
             build_agent(&s.agents[1], a, "insight", info[k].labels[1], a->insight_url, "http://localhost:11435",
                         tdm_seed_insight_prompt, opts[1]);
    } else {
        ok = false;
    }
    if (!ok) {
        snprintf(err, errlen, "built-in scenario %s: out of memory", name);
        tdm_scenario_free(&s);
        return -1;
    }
    char why[1024];
    if (tdm_scenario_complete(&s, why, sizeof why) != 0) {
        snprintf(err, errlen, "built-in scenario %s: %s", name, why);
        tdm_scenario_free(&s);
        return -1;
    }
    *out = s;
    return 0;
}
