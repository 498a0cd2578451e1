/* run_lock.h — a run's servers to itself: before a `tandem-<variant> run` touches its
 * servers it takes their host-wide locks (endpoint_lock.h), so that two measurements on
 * one host never share a server unawares; a sweep's cells hold the same locks and run
 * their variant with --no-lock. */
#ifndef TDM_RUN_LOCK_H
#define TDM_RUN_LOCK_H

#include "core/endpoint_lock.h"
#include "core/runner.h"
#include "core/scenario.h"

/* Takes the lock of every agent's server unless set->lock_servers is off (l stays empty),
 * waiting for a busy one unless set->no_wait. Returns TDM_EXIT_OK with the locks held,
 * TDM_EXIT_BUSY, TDM_EXIT_INTERRUPTED or TDM_EXIT_ERROR, having said why on stderr. */
int tdm_run_lock_servers(const tdm_scenario *s, const tdm_run_settings *set, const char *variant,
                         tdm_endpoint_locks *l);

/* How many lock files a run of s holds: one per server its agents name. */
size_t tdm_run_lock_files(const tdm_scenario *s);

/* The provenance's "server_lock": the locks held (tdm_endpoint_locks_json), or
 * {"taken_by": null, "why_not"} under --no-lock. NULL when out of memory. */
json_t *tdm_run_lock_json(const tdm_scenario *s, const tdm_run_settings *set, const char *variant,
                          const tdm_endpoint_locks *l);

#endif
