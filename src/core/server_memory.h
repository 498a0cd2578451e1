/* server_memory.h — where each server holds its models (Ollama's GET /api/ps: total
 * size and the part in VRAM), asked before and after every phase so a result shows
 * whether a model sat on the GPU, spilled to system memory or was reloaded between
 * phases. Asked through the variant's own fetch, outside every measured span; a server
 * that does not answer is recorded, never a reason to stop. */
#ifndef TDM_SERVER_MEMORY_H
#define TDM_SERVER_MEMORY_H

#include <stdbool.h>

#include "core/record.h"
#include "core/runtime.h"
#include "core/scenario.h"

struct json_t;

/* Appends to arr one entry per distinct server of the scenario:
 *   {"run", "phase", "when": "before"|"after", "url", "models": [{name, size, size_vram}]}
 * or "error": "..." instead of "models", or "skipped": "..." (the reason) for a server only
 * openai agents use, which is not asked. */
void tdm_server_memory_snapshot(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, int run,
                                tdm_phase phase, bool after, struct json_t *arr);

/* The models of one /api/ps answer body; NULL with err when it is not one. */
struct json_t *tdm_server_memory_parse(const char *body, size_t len, char *err, size_t errlen);

#endif
