/* cli.h — the `run` command line of every variant binary: the seed harness's flags
 * (same names), a YAML scenario for N agents, and run settings. Parsing produces a
 * complete, validated scenario or a message naming the bad flag and the fix. */
#ifndef TDM_CLI_H
#define TDM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/runner.h"
#include "core/runtime.h"
#include "core/scenario.h"

typedef struct tdm_cli {
    tdm_scenario scenario;
    tdm_run_settings settings;
    tdm_runtime_config runtime;
    char *output_dir;          /* heap */
    bool help;
} tdm_cli;

/* Parses argv after "run". Returns TDM_EXIT_OK, or TDM_EXIT_USAGE / TDM_EXIT_ERROR with
 * the message in err. On success cli owns a scenario to free with tdm_cli_free. */
int tdm_cli_parse(int argc, char **argv, const char *variant, tdm_cli *cli, char *err, size_t errlen);
void tdm_cli_free(tdm_cli *cli);
void tdm_cli_usage(FILE *out, const char *prog, const tdm_runtime_ops *ops);

#endif
