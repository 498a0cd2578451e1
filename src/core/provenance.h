/* provenance.h — what ran, where and against what: recorded with every result so a
 * reader can tell which runs may be compared (same variant build, same libraries,
 * same server version and model digest). */
#ifndef TDM_PROVENANCE_H
#define TDM_PROVENANCE_H

#include "core/runtime.h"
#include "core/scenario.h"

struct json_t;

/* servers: the preflight result (stolen; may be NULL); argv: the command line. */
struct json_t *tdm_provenance(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s,
                              struct json_t *servers, int argc, char **argv);

/* OS, kernel, CPU model and count, hostname. */
struct json_t *tdm_host_info(void);

#endif
