/* plan.h — `plan`: the run a command line asks for, as one JSON document (schema
 * "tandem.plan/1", docs/own-client.md) for clients outside C: the validated scenario,
 * the run settings, every request body and each run's sequential order, computed by the
 * core's own code. Such a client runs the phases, writes records.json and
 * provenance.json (docs/records.md) and calls `tandem-report finalize`. */
#ifndef TDM_PLAN_H
#define TDM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/cli.h"

#define TDM_PLAN_SCHEMA "tandem.plan/1"

struct json_t;

/* The plan of a parsed command line for the named client. NULL with err on failure. */
struct json_t *tdm_plan_json(const tdm_cli *cli, const char *variant, char *err, size_t errlen);

/* `plan [run flags]`: parses argv after "plan" as `run` does (argv[0] is "plan") and
 * prints the plan on out. Returns TDM_EXIT_OK, or USAGE/ERROR with the message in err.
 * With --help in argv, sets *help, returns TDM_EXIT_OK and prints nothing: the caller
 * prints its usage. */
int tdm_plan_print(const char *variant, int argc, char **argv, FILE *out, bool *help, char *err, size_t errlen);

#endif
