/* scenario_builtin.h — the seed harness's three built-in scenarios, built from its
 * command-line flags: baseline-vs-chimera, chimera-hetero, chimera-homo.
 *
 * Two agents, "collector" and "insight", on two Ollama servers (the seed ran one per
 * port, 11434 and 11435, on one GPU), each sending the seed's own prompts
 * (seed_prompts.c). Which options each agent sends:
 *
 *   scenario             collector            insight
 *   baseline-vs-chimera  common only          chimera
 *   chimera-hetero       chimera              chimera2
 *   chimera-homo         chimera              chimera
 *
 * where, option by option (later wins):
 *   chimera  = {num_gpu 80, num_ctx 512, temperature 1.0}, then common, then args.chimera
 *   chimera2 = chimera, then args.chimera2
 * so `common` (e.g. num_predict, seed) reaches every agent, the baseline included, and
 * only an explicit --chimera-* / --chimera2-* flag overrides it. */
#ifndef TDM_SCENARIO_BUILTIN_H
#define TDM_SCENARIO_BUILTIN_H

#include <stddef.h>

#include "core/options.h"
#include "core/scenario.h"

typedef struct tdm_builtin_args {
    const char *scenario;      /* "baseline-vs-chimera" | "chimera-hetero" | "chimera-homo"; '_' for '-' too */
    const char *model;         /* default "gemma3:latest" */
    const char *collector_url; /* default "http://localhost:11434" */
    const char *insight_url;   /* default "http://localhost:11435" */
    tdm_options chimera;       /* --chimera-*: options set here win over the defaults and common */
    tdm_options chimera2;      /* --chimera2-*: chimera-hetero's insight agent; unset ones come from chimera */
    tdm_options common;        /* sent by every agent, e.g. num_predict, seed */
    int runs;                  /* default 1 */
    int calls_per_agent;       /* 2 (default): analysis, then a report on it, as the seed's second
                                * generation did; 1: the analysis call only, as its first did */
    const char *keep_alive;    /* NULL (default): not sent, as in the seed */
} tdm_builtin_args;

/* Fills a with the defaults above (scenario NULL: the caller must choose one). */
void tdm_builtin_args_init(tdm_builtin_args *a);

/* Builds the scenario a names, with defaults applied and validated. Returns 0, or -1
 * with a message in err (an unknown name lists the three); *out then holds nothing. */
int tdm_scenario_builtin(const tdm_builtin_args *a, tdm_scenario *out, char *err, size_t errlen);
/* Whether name is one of the built-in scenarios (a wrong name is a bad flag value). */
bool tdm_scenario_builtin_exists(const char *name);

/* The canonical names, NULL-terminated, for usage text. */
extern const char *const tdm_builtin_scenario_names[];

#endif
