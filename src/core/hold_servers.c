/* hold_servers.c — a run's server locks held for a client outside C (see hold_servers.h). */
#include "core/hold_servers.h"

#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/run_lock.h"

int tdm_hold_servers(const char *variant, int argc, char **argv, char *err, size_t errlen)
{
    tdm_cli cli;
    int rc = tdm_cli_parse(argc, argv, variant, &cli, err, errlen);
    if (rc != TDM_EXIT_OK) {
        tdm_cli_free(&cli);
        return rc;
    }
    tdm_endpoint_locks locks = {0};
    rc = tdm_run_lock_servers(&cli.scenario, &cli.settings, variant, &locks);
    /* What the client writes into its provenance as "server_lock", also under --no-lock */
    json_t *doc = rc == TDM_EXIT_OK ? tdm_run_lock_json(&cli.scenario, &cli.settings, variant, &locks) : NULL;
    tdm_cli_free(&cli);
    if (rc != TDM_EXIT_OK)
        return rc;
    char *line = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    /* Held for a client on a pipe: a ^C or SIGTERM to the whole process group must not
     * drop the locks while the client still finishes its interrupted run; the end of
     * stdin says when. A person at a terminal can still stop it with ^C. */
    if (!isatty(STDIN_FILENO)) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
    }
    int said = line ? printf("held %s\n", line) : -1;
    free(line);
    if (said < 0 || fflush(stdout) != 0) {
        tdm_endpoint_locks_release(&locks);
        return TDM_EXIT_ERROR;
    }
    char buf[256];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0)
        if (n < 0 && errno != EINTR)
            break;
    tdm_endpoint_locks_release(&locks);
    return TDM_EXIT_OK;
}
