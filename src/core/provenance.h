/* provenance.h — what ran, where and against what: recorded with every result so a
 * reader can tell which runs may be compared (same variant build, same libraries,
 * same server version and model digest). */
#ifndef TDM_PROVENANCE_H
#define TDM_PROVENANCE_H

#include <stdbool.h>

#include "core/runtime.h"
#include "core/scenario.h"

struct json_t;

/* servers: the preflight result (stolen; may be NULL); argv: the command line. */
struct json_t *tdm_provenance(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s,
                              struct json_t *servers, int argc, char **argv);

/* Adds what the runtime counted during the runs (ops->run_stats) to prov as
 * "runtime_stats". Returns true when prov changed and so must be written again. */
bool tdm_provenance_add_run_stats(struct json_t *prov, const tdm_runtime_ops *ops, tdm_runtime *rt);

/* OS, kernel, CPU model and count, hostname. */
struct json_t *tdm_host_info(void);

#endif
