/* scenario.h — what a run does: the agents (server, model, options, prompt steps), the
 * phases, repetitions and timeouts.
 *
 * A scenario comes from a YAML file (libcyaml: scenario_yaml.c), or from one of the
 * seed harness's three built-in scenarios and its flags (scenario_builtin.c). Either way
 * it is then completed with defaults and validated (scenario_validate.c), so every
 * consumer sees the same fully specified structure. */
#ifndef TDM_SCENARIO_H
#define TDM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

typedef enum tdm_api { TDM_API_GENERATE = 0, TDM_API_CHAT = 1 } tdm_api;

/* One call an agent makes. The prompt may contain "{previous}", replaced by the text
 * the agent's previous step generated (the seed's report call built on its analysis). */
typedef struct tdm_step {
    char *name;    /* "analysis", "report", ...; defaults to "step<k>", k counted from 1 */
    char *prompt;
    char *system;  /* optional system prompt; NULL when absent */
} tdm_step;

typedef struct tdm_agent {
    char *name;        /* short id used in records ("collector") */
    char *label;       /* human label ("Baseline Collector"); defaults to name */
    char *url;         /* base URL of the Ollama server, "http://127.0.0.1:11434" */
    char *model;
    tdm_api api;       /* /api/generate (default) or /api/chat */
    bool stream;       /* default true */
    char *keep_alive;  /* passed through as given ("5m", "0", "-1"); NULL: not sent */
    tdm_options options;
    tdm_step *steps;
    size_t n_steps;
} tdm_agent;

typedef struct tdm_timeouts {
    int64_t connect_ms;     /* TCP connect (default 5000) */
    int64_t first_byte_ms;  /* request sent -> first response byte (default 300000: cold loads are slow) */
    int64_t idle_ms;        /* longest silence between two reads once streaming (default 60000) */
    int64_t total_ms;       /* whole call (default 1800000) */
} tdm_timeouts;

/* The warm-up's prompt unless the scenario names one: short, and shares no prefix with
 * any real prompt. */
#define TDM_WARMUP_PROMPT "Reply with the single word: ready."

typedef struct tdm_scenario {
    char *name;
    char *description;        /* may be NULL */
    int runs;                 /* repetitions of (sequential, concurrent); default 1 */
    uint64_t seed;            /* shuffles the sequential order; default 42 */
    bool warmup;              /* one short call per agent before run 1; default true */
    int warmup_num_predict;   /* num_predict of the warm-up call; default 1 */
    char *warmup_prompt;      /* prompt of the warm-up call; NULL: TDM_WARMUP_PROMPT. It must
                               * differ from the steps' prompts: Ollama reuses the KV cache of
                               * the previous prompt, and a warm-up with the first step's prompt
                               * would let the first measured call skip its prefill */
    bool sequential;          /* run the sequential phase; default true */
    bool concurrent;          /* run the concurrent phase; default true */
    double contention_threshold_pct; /* decode drop that counts as contention; default 10 */
    uint64_t max_line_bytes;  /* longest NDJSON line accepted; default 8 MiB */
    tdm_timeouts timeouts;
    tdm_agent *agents;
    size_t n_agents;
} tdm_scenario;

/* Each loader returns 0, or -1 with a message in err that names the file, the field
 * and what to change. On success the scenario has defaults applied and is validated;
 * on failure *out holds nothing that needs freeing. */
int tdm_scenario_load_file(const char *path, tdm_scenario *out, char *err, size_t errlen);
int tdm_scenario_load_string(const char *yaml, size_t len, const char *source_name,
                             tdm_scenario *out, char *err, size_t errlen);

/* Zeroes s and sets every scalar default documented above (runs, seed, warmup, phases,
 * threshold, max_line_bytes, timeouts). Numeric defaults are set here, up front,
 * because 0 and false are legal or must be rejected, so "unset" cannot be told from
 * them later. Builders start from this and overwrite what they were given. */
void tdm_scenario_init(tdm_scenario *s);
/* Zeroes a and sets its scalar defaults: api generate, stream true. */
void tdm_agent_init(tdm_agent *a);
/* Fills the fields still unset that derive from others: an agent's label (its name)
 * and step names ("step1", "step2", ...). Returns 0, or -1 when memory ran out. */
int tdm_scenario_apply_defaults(tdm_scenario *s);
/* Checks a complete scenario; returns 0 or -1 with a message naming the field. */
int tdm_scenario_validate(const tdm_scenario *s, char *err, size_t errlen);
/* apply_defaults, then validate: what every loader does before handing a scenario out. */
int tdm_scenario_complete(tdm_scenario *s, char *err, size_t errlen);

/* Deep copy into dst (overwritten, not freed first); returns 0, or -1 on out of memory
 * with dst left empty. */
int tdm_scenario_copy(tdm_scenario *dst, const tdm_scenario *src);
/* Frees everything s owns and zeroes it; safe on a zeroed or partly built scenario. */
void tdm_scenario_free(tdm_scenario *s);

/* Serialises the scenario (as run, after defaults) for provenance: every field, options
 * only when set, integers as JSON integers. Returns a new reference, NULL on out of
 * memory. */
struct json_t;
struct json_t *tdm_scenario_to_json(const tdm_scenario *s);

#endif
