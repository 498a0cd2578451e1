/* proc.h — running nvidia-smi: a child whose stdout we read through a pipe.
 *
 * posix_spawnp, not fork: nothing but the exec runs in the child, and the child gets a
 * clean signal mask and default SIGTERM/SIGINT even though the sampler blocks them. */
#ifndef TDM_GPU_PROC_H
#define TDM_GPU_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

/* Starts argv[0] (looked up in PATH) with stdin from /dev/null and stdout into a pipe
 * whose read end (close-on-exec) goes to *fd. Returns 0, or -1 with err naming the
 * command and why it could not start. */
int tdm_gpu_spawn(char *const argv[], pid_t *pid, int *fd, char *err, size_t errlen);

/* Runs argv to completion, its stdout (at most 1 MiB) into out, its wait status into
 * *status; a child still running after timeout_ms is killed. 0, or -1 with err. */
int tdm_gpu_capture(char *const argv[], int timeout_ms, tdm_buf *out, int *status, char *err, size_t errlen);

/* Sends SIGTERM, then SIGKILL if it has not gone within a second, and reaps it. */
void tdm_gpu_reap(pid_t pid);

#endif
