/* subproc.h — helper programs run beside a measurement (the GPU sampler), started with
 * posix_spawn: the measured process may already run worker threads, where fork() would
 * copy a process whose other threads hold locks. The child gets no descriptor of ours
 * but the ones named, default signal handling and an empty signal mask, so a SIGTERM
 * from us always reaches it. Every wait is bounded. */
#ifndef TDM_SUBPROC_H
#define TDM_SUBPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

/* Starts argv[0] (a path, or a name looked up in PATH) with stdin from /dev/null, stdout on out_fd and stderr on
 * err_fd (-1: /dev/null). Returns the pid, or -1 with err naming the program. */
pid_t tdm_subproc_spawn(char *const argv[], int out_fd, int err_fd, char *err, size_t errlen);

/* Reaps pid if it has ended within timeout_ms (0: just look). Returns true with its
 * wait status in *status, false while it still runs. */
bool tdm_subproc_wait(pid_t pid, long timeout_ms, int *status);

/* SIGTERM, up to grace_ms for it to end, then SIGKILL; always reaps. Returns the wait
 * status. */
int tdm_subproc_stop(pid_t pid, long grace_ms);

/* Runs argv to completion, its stdout into out and its stderr into errout (each capped
 * at 1 MiB; errout NULL: stderr is read and dropped), killed after timeout_ms. Returns 0 with the wait status in *status, or -1
 * with err when it could not be run or timed out. */
int tdm_subproc_capture(char *const argv[], long timeout_ms, tdm_buf *out, tdm_buf *errout, int *status,
                        char *err, size_t errlen);

/* "exited with status 3", "was killed by signal 9". */
void tdm_subproc_describe_status(int status, char *out, size_t outlen);

#endif
