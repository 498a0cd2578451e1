/* interrupt.h — the process-wide "stop requested" state of a run that was interrupted
 * (SIGINT/SIGTERM). main's signal handler requests the stop; the core honours it where
 * every runtime already passes: tdm_job_next hands out no new call, and the per-call
 * timeout checks (tdm_call_deadline / tdm_call_check_timeouts, run by every runtime)
 * cut calls still in flight once the grace period has passed. No runtime needs code of
 * its own for it. The state is a few lock-free atomics, so requesting is safe from a
 * signal handler and reading is safe from any worker thread. */
#ifndef TDM_INTERRUPT_H
#define TDM_INTERRUPT_H

#include <stdbool.h>
#include <stdint.h>

/* How long calls in flight may go on after the request before they are cut. */
#define TDM_INTERRUPT_GRACE_NS (2000 * 1000000LL)

/* Marks the run as interrupted at monotonic time now (async-signal-safe). Returns the
 * number of requests so far, this one included (1 on the first). */
int tdm_interrupt_request(int64_t now);
/* True once a stop was requested. */
bool tdm_interrupt_requested(void);
/* The instant calls in flight are cut (monotonic ns); 0 when no stop was requested. */
int64_t tdm_interrupt_deadline(void);
/* Forgets any request (tests; a new run in the same process). */
void tdm_interrupt_reset(void);

#endif
