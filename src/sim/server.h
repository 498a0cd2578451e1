/* server.h — runs tandem-sim: every port, device and connection on one libuv loop until
 * SIGINT or SIGTERM. */
#ifndef TDM_SIM_SERVER_H
#define TDM_SIM_SERVER_H

#include "sim/config.h"

/* Returns 0 after a clean shutdown, or 1 when setting up failed (the reason was
 * printed to stderr, naming what to change). */
int tdm_sim_server_run(const tdm_sim_config *cfg);

#endif
