/* scenario_defaults.c — the defaults documented in scenario.h, in one place, so the YAML
 * loader, the built-in scenarios and any other builder agree on them. */
#include "core/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tdm_scenario_init(tdm_scenario *s)
{
    memset(s, 0, sizeof *s);
    s->runs = 1;
    s->seed = 42;
    s->warmup = true;
    s->warmup_num_predict = 1;
    s->sequential = true;
    s->concurrent = true;
    s->contention_threshold_pct = 10.0;
    s->max_line_bytes = 8u << 20;
    s->timeouts.connect_ms = 5000;
    s->timeouts.first_byte_ms = 300000; /* a cold model load can take minutes */
    s->timeouts.idle_ms = 60000;
    s->timeouts.total_ms = 1800000;
}

void tdm_agent_init(tdm_agent *a)
{
    memset(a, 0, sizeof *a);
    a->api = TDM_API_GENERATE;
    a->stream = true;
}

int tdm_scenario_apply_defaults(tdm_scenario *s)
{
    for (size_t i = 0; i < s->n_agents; i++) {
        tdm_agent *a = &s->agents[i];
        if (!a->label && a->name && !(a->label = strdup(a->name)))
            return -1;
        for (size_t k = 0; k < a->n_steps; k++) {
            tdm_step *st = &a->steps[k];
            if (st->name)
                continue;
            char tmp[32];
            snprintf(tmp, sizeof tmp, "step%zu", k + 1);
            if (!(st->name = strdup(tmp)))
                return -1;
        }
    }
    return 0;
}

int tdm_scenario_complete(tdm_scenario *s, char *err, size_t errlen)
{
    if (tdm_scenario_apply_defaults(s) != 0) {
        snprintf(err, errlen, "out of memory while applying scenario defaults");
        return -1;
    }
    if (tdm_scenario_validate(s, err, errlen) != 0)
        return -1;
    return tdm_scenario_resolve_workflow(s, err, errlen);
}
