/* preflight.h — before anything is measured, asks every server the scenario names for
 * its version and model list (through the variant's own HTTP path; an OpenAI-compatible
 * server for GET /v1/models), so an unreachable
 * server or a missing model is reported at once with the fix, and the results record
 * which server version and model digest were measured. */
#ifndef TDM_PREFLIGHT_H
#define TDM_PREFLIGHT_H

#include <stddef.h>

#include "core/runtime.h"
#include "core/scenario.h"

struct json_t;

/* A server's base URL as the agent's url names it, without trailing slashes: one key
 * per server for preflight and the /api/ps snapshots (server_memory.c). Heap string. */
char *tdm_server_base_url(const char *url);

/* Returns a JSON array of {url, version, models: {name: digest}, reachable} on success,
 * or NULL with err listing every problem found (all servers are checked, not just the
 * first). A server only openai agents use is asked GET /v1/models instead of Ollama's
 * /api/version and /api/tags: its entry has no version, its models no digest (null), and
 * a "note" that says why; "openai_models" lists the ids /v1/models gave. */
struct json_t *tdm_preflight(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, char *err,
                             size_t errlen);

#endif
