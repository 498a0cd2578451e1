/* hold_servers.h — `hold-servers [run flags]`: the servers' host-wide locks of a run
 * (run_lock.h) held for a client outside C, which cannot share the C core's lock code
 * in-process. The client starts it with its own run flags on a pipe: it takes the locks
 * (waiting, or exit 4 with --no-wait, as `run` would), prints "held" on stdout, and
 * keeps them until its stdin ends, which is also when the client dies, however it dies. */
#ifndef TDM_HOLD_SERVERS_H
#define TDM_HOLD_SERVERS_H

#include <stddef.h>

/* argv[0] is "hold-servers"; the rest are the flags of `run`. Returns a TDM_EXIT_* code;
 * err holds the message of a bad command line (the lock's own messages go to stderr). */
int tdm_hold_servers(const char *variant, int argc, char **argv, char *err, size_t errlen);

#endif
