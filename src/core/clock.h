/* clock.h — the one client clock every timestamp comes from.
 *
 * All measured times are CLOCK_MONOTONIC nanoseconds taken in the process that drives
 * the agents (see METRICS in ARTIFACT.md). CLOCK_MONOTONIC is shared by every process on
 * the machine, which is what lets tests compare client arrival times with tandem-sim's
 * emission log. Wall-clock time is only ever used for provenance. */
#ifndef TDM_CLOCK_H
#define TDM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds since an arbitrary origin (never 0 in practice). */
int64_t tdm_now_ns(void);

/* Current UTC wall time as RFC 3339 with nanoseconds ("2025-11-14T00:29:24.296633900Z").
 * out must hold at least TDM_RFC3339_LEN bytes. */
#define TDM_RFC3339_LEN 40
void tdm_wall_rfc3339(char *out, size_t outlen);

/* Sleep for ns nanoseconds (restarts on EINTR). Never while a call is in flight: inside a
 * measured phase only to hold an open-loop arrival until it is due (job.c). */
void tdm_sleep_ns(int64_t ns);

#endif
