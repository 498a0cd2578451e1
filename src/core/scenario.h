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

/* The API an agent speaks: Ollama's native /api/generate and /api/chat, or the OpenAI
 * API (POST /v1/chat/completions, Server-Sent Events) that Ollama, llama.cpp's
 * llama-server and vLLM all serve. */
typedef enum tdm_api { TDM_API_GENERATE = 0, TDM_API_CHAT = 1, TDM_API_OPENAI = 2 } tdm_api;
#define TDM_API_COUNT 3

/* "generate", "chat", "openai" (api.c); "?" for a value out of range. */
const char *tdm_api_name(tdm_api api);
/* Returns 0 and sets *out, or -1 for a name that is none of them. */
int tdm_api_from_name(const char *name, tdm_api *out);
/* The path a call of that API posts to: "/api/generate", "/api/chat", "/v1/chat/completions". */
const char *tdm_api_path(tdm_api api);
/* True for the APIs whose body is a list of messages (chat and openai): history and
 * system prompts go there as messages. */
bool tdm_api_has_messages(tdm_api api);

/* One step of one agent: what a workflow's dependencies point at. */
typedef struct tdm_step_ref {
    size_t agent, step;
} tdm_step_ref;

/* How a step's think time is drawn. */
typedef enum tdm_think_dist {
    TDM_THINK_FIXED = 0,       /* exactly think_ns */
    TDM_THINK_EXPONENTIAL = 1, /* exponential with mean think_ns, drawn from the seed (job.c) */
} tdm_think_dist;

/* One call an agent makes. The prompt may contain "{previous}", replaced by the text
 * the agent's previous step generated (the seed's report call built on its analysis),
 * and "{output:AGENT.STEP}", replaced by what that step of another agent generated
 * (a workflow: the step must be in after:). */
typedef struct tdm_step {
    char *name;    /* "analysis", "report", ...; defaults to "step<k>", k counted from 1 */
    char *prompt;
    char *system;  /* optional system prompt; NULL when absent */
    char **after;  /* workflow: "AGENT.STEP" of the steps of other agents this one waits for
                    * (the agent's own earlier steps always come first); NULL when none */
    size_t n_after;
    tdm_step_ref *deps; /* after, resolved by tdm_scenario_complete (scenario_workflow.c) */
    int64_t think_ns;   /* pause before the call once its inputs exist (a tool, a user); 0: none */
    tdm_think_dist think_dist;
} tdm_step;

typedef struct tdm_agent {
    char *name;        /* short id used in records ("collector") */
    char *label;       /* human label ("Baseline Collector"); defaults to name */
    char *url;         /* base URL of the server, "http://127.0.0.1:11434" */
    char *model;
    tdm_api api;       /* /api/generate (default), /api/chat or /v1/chat/completions */
    bool stream;       /* default true */
    char *keep_alive;  /* passed through as given ("5m", "0", "-1"); NULL: not sent */
    tdm_options options;
    tdm_step *steps;
    size_t n_steps;
    int64_t start_ns;  /* with the scenario's arrivals, concurrent phase only: the agent's first
                        * call is due this long after the release (0: at the release) */
    bool history;      /* api chat or openai: each step sends the agent's conversation so far (its
                        * earlier prompts and the replies) before its own prompt */
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

/* Open-loop arrivals: instead of every agent released together, calls arrive by a
 * seeded process at a rate for a duration (arrivals.c). Each arrival is one generated
 * agent making one call, so every consumer still sees ordinary agents; what makes them
 * open-loop is their start_ns. */
typedef enum tdm_arrival_process {
    TDM_ARRIVALS_NONE = 0,     /* the barrier release: every agent starts at once */
    TDM_ARRIVALS_POISSON = 1,  /* exponential gaps with mean 1/rate, drawn from the seed */
    TDM_ARRIVALS_CONSTANT = 2, /* one call every 1/rate seconds, the first at the release */
} tdm_arrival_process;

typedef struct tdm_arrivals {
    tdm_arrival_process process;
    double rate;        /* offered load: calls per second */
    double duration_s;  /* calls arrive in [0, duration_s) after the release */
    size_t count;       /* how many arrived (the agents generated) */
} tdm_arrivals;

/* "poisson", "constant"; NULL for NONE. */
const char *tdm_arrival_process_name(tdm_arrival_process p);

/* The arrival instants, in ns after the release, increasing: *out (heap, freed by the
 * caller) holds *n of them. The Poisson draws come from seed alone (splitmix64), so a
 * scenario's arrivals are the same on every machine. Returns 0, or -1 with err naming
 * the field and the fix (no arrival in the duration, more than TDM_TEMPLATE_MAX_AGENTS,
 * out of memory). */
int tdm_arrivals_offsets(const tdm_arrivals *a, uint64_t seed, int64_t **out, size_t *n, char *err,
                         size_t errlen);

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
    tdm_arrivals arrivals;    /* open-loop arrivals; process NONE (the default): the barrier */
    bool workflow;            /* some step waits for another agent's step or thinks: the phases
                               * run it as a workflow (set by tdm_scenario_complete) */
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

/* ---- workflows (scenario_workflow.c) -------------------------------------------------- */

#define TDM_OUTPUT_MARK "{output:"

/* Resolves every step's after: into deps, checks {output:...} placeholders, history and
 * cycles, and sets s->workflow. Part of tdm_scenario_complete. Returns 0, or -1 with
 * err naming the field and the fix. */
int tdm_scenario_resolve_workflow(tdm_scenario *s, char *err, size_t errlen);
/* The step "AGENT.STEP" (len bytes of ref); 0, or -1 when no such step. */
int tdm_workflow_find_step(const tdm_scenario *s, const char *ref, size_t len, tdm_step_ref *out);
/* Every step once, each after its agent's earlier steps and its after: steps; among the
 * steps ready, the first agent in agent_order (n_agents entries) goes first. out holds
 * one entry per step of the scenario; returns how many were written (all of them unless
 * out of memory). */
size_t tdm_workflow_order(const tdm_scenario *s, const int *agent_order, tdm_step_ref *out);

/* Deep copy into dst (overwritten, not freed first); returns 0, or -1 on out of memory
 * with dst left empty. */
int tdm_scenario_copy(tdm_scenario *dst, const tdm_scenario *src);
/* Frees what one step owns (not the step itself). */
void tdm_step_free(tdm_step *st);
/* Frees everything s owns and zeroes it; safe on a zeroed or partly built scenario. */
void tdm_scenario_free(tdm_scenario *s);

/* Serialises the scenario (as run, after defaults) for provenance: every field, options
 * only when set, integers as JSON integers. Returns a new reference, NULL on out of
 * memory. */
struct json_t;
struct json_t *tdm_scenario_to_json(const tdm_scenario *s);

/* ---- N agents from one template (scenario_template.c) ------------------------------
 * A scenario may give, instead of or besides its agents: list, one agent_template: and
 * agent_count: N. The loader expands them into N ordinary agents, appended after the
 * listed ones and before defaults and validation, so nothing downstream knows a template
 * existed. Agent k (from 1) is named "<template name>-k" ("agent-k" when the template has
 * no name) and served by one of the endpoints, chosen by the placement. Its api: the
 * template's own api:, else its endpoint's, else defaults.api, else generate. */
typedef enum tdm_placement {
    TDM_PLACE_ROUND_ROBIN = 0, /* agent k on endpoints[(k-1) % E]: the default */
    TDM_PLACE_PACKED = 1,      /* agents in contiguous runs: the first ceil(N/E) on endpoints[0], ... */
    TDM_PLACE_LIST = 2,        /* agent k on endpoints[list[(k-1) % L]]: the list is a pattern that
                                * repeats, so it stays valid when an axis changes N */
} tdm_placement;

typedef struct tdm_agent_template {
    const tdm_agent *agent;     /* the template (defaults merged); its url must be NULL unless
                                 * no endpoints are given (then every agent uses it) */
    long count;                 /* N: 1..TDM_TEMPLATE_MAX_AGENTS */
    char *const *endpoints;     /* base URLs; may be empty when agent->url is set */
    size_t n_endpoints;
    const tdm_api *endpoint_apis; /* NULL, or n_endpoints entries: the api an endpoint gives the agents
                                 * it serves ({url, api: openai}); TDM_API_COUNT where it gives none */
    bool agent_api_set;         /* the template names its own api:, which wins over its endpoint's */
    tdm_placement placement;
    const size_t *list;         /* TDM_PLACE_LIST: indices into endpoints */
    size_t n_list;
    const int64_t *start_ns;    /* NULL, or count start offsets (arrivals): agent k gets start_ns[k]
                                 * and, the template's steps being a pool of prompts, only its
                                 * step k mod (steps): one call per arrival */
} tdm_agent_template;

#define TDM_TEMPLATE_MAX_AGENTS 65536

/* Appends t->count agents built from the template to s->agents. Returns 0, or -1 with a
 * message in err naming the field (agent_template, agent_count, endpoints, placement) and
 * the fix; s then holds exactly the agents it had before. */
int tdm_scenario_expand_template(tdm_scenario *s, const tdm_agent_template *t, char *err, size_t errlen);

/* What a sweep changes in a scenario file for one of its points (see
 * tdm_scenario_yaml_override). Zero fields change nothing. */
typedef struct tdm_scenario_override {
    long agent_count;           /* > 0: replaces agent_count: (the file must have agent_template:) */
    size_t endpoints_limit;     /* > 0: keeps only the first k of endpoints: (servers started) */
    double arrival_rate;        /* > 0: replaces arrivals.rate (the file must have arrivals:) */
} tdm_scenario_override;

/* Rewrites a scenario file's text with the override applied and returns it as YAML
 * (heap, NUL-terminated, *outlen its length) that tdm_scenario_load_string reads: every
 * other key is kept as written, and a file without name: gets the name its source would
 * have given it, so the rewritten copy names itself the same. Returns 0, or -1 with err
 * naming the source, the field and the fix. */
int tdm_scenario_yaml_override(const char *yaml, size_t len, const char *source_name,
                               const tdm_scenario_override *ov, char **out, size_t *outlen, char *err,
                               size_t errlen);

#endif
