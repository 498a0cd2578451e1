/* rundata.c — the run's raw data in memory (see rundata.h); JSON in rundata_json.c. */
#include "core/rundata.h"

#include <stdlib.h>
#include <string.h>

int tdm_run_data_init(tdm_run_data *d, int run, size_t n_agents, char *const *agent_names)
{
    memset(d, 0, sizeof *d);
    d->run = run;
    d->n_agents = n_agents;
    d->agent_names = calloc(n_agents ? n_agents : 1, sizeof *d->agent_names);
    d->seq_order = calloc(n_agents ? n_agents : 1, sizeof *d->seq_order);
    d->seq = calloc(n_agents ? n_agents : 1, sizeof *d->seq);
    d->conc = calloc(n_agents ? n_agents : 1, sizeof *d->conc);
    if (!d->agent_names || !d->seq_order || !d->seq || !d->conc) {
        tdm_run_data_free(d);
        return -1;
    }
    for (size_t i = 0; i < n_agents; i++) {
        d->seq_order[i] = (int)i;
        d->agent_names[i] = strdup(agent_names && agent_names[i] ? agent_names[i] : "");
        if (!d->agent_names[i]) {
            tdm_run_data_free(d);
            return -1;
        }
    }
    return 0;
}

void tdm_run_data_free(tdm_run_data *d)
{
    if (d->agent_names)
        for (size_t i = 0; i < d->n_agents; i++)
            free(d->agent_names[i]);
    free(d->agent_names);
    free(d->seq_order);
    free(d->seq);
    free(d->conc);
    for (size_t i = 0; i < d->n_calls; i++)
        tdm_record_free(&d->calls[i]);
    free(d->calls);
    memset(d, 0, sizeof *d);
}

int tdm_run_data_take_calls(tdm_run_data *d, tdm_call_record *recs, size_t n)
{
    if (d->n_calls + n > d->cap_calls) {
        size_t cap = d->cap_calls ? d->cap_calls : 16;
        while (cap < d->n_calls + n)
            cap *= 2;
        tdm_call_record *p = realloc(d->calls, cap * sizeof *p);
        if (!p)
            return -1;
        d->calls = p;
        d->cap_calls = cap;
    }
    memcpy(d->calls + d->n_calls, recs, n * sizeof *recs);
    memset(recs, 0, n * sizeof *recs);
    d->n_calls += n;
    return 0;
}
