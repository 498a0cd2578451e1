/* main.c — tandem-sim's entry point: parse the command line, run the server. */
#include <signal.h>
#include <stdio.h>

#include "sim/config.h"
#include "sim/server.h"

int main(int argc, char **argv)
{
    static tdm_sim_config cfg; /* large (ports and models inline): not on the stack */
    char err[512];
    tdm_sim_config_defaults(&cfg);
    int r = tdm_sim_config_parse(&cfg, argc, argv, stdout, err, sizeof err);
    if (r == TDM_SIM_CLI_EXIT)
        return 0;
    if (r == TDM_SIM_CLI_ERROR) {
        fprintf(stderr, "tandem-sim: %s\n", err);
        return 2;
    }
    /* A client that vanishes must cost a failed write, not the process. */
    signal(SIGPIPE, SIG_IGN);
    return tdm_sim_server_run(&cfg);
}
