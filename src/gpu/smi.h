/* smi.h — GPU readings through the nvidia-smi command, for hosts where NVML cannot be
 * loaded (a container with the binary but not the library on the loader's path).
 *
 * nvidia-smi has no energy counter in its query, so energy is always absent here; and
 * it paces itself (-lms), so a reading's timestamp is when its line arrives. */
#ifndef TDM_GPU_SMI_H
#define TDM_GPU_SMI_H

#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"
#include "gpu/gpu.h"

/* The device facts from `cmd --query-gpu=...` and the CUDA version from its banner
 * (empty when the banner lacks it). Returns 0, or -1 with err saying why (command
 * missing, failing, listing no GPU) and what to do. */
int tdm_gpu_smi_info(const char *cmd, tdm_gpu_info *out, char *err, size_t errlen);

/* A running `cmd --query-gpu=<sample fields> ... -lms <interval>`. */
typedef struct tdm_gpu_smi_stream {
    pid_t pid;
    int fd;          /* its stdout; poll it for POLLIN */
    tdm_buf pending; /* bytes read but not yet a complete line */
} tdm_gpu_smi_stream;

int tdm_gpu_smi_stream_start(const char *cmd, int interval_ms, tdm_gpu_smi_stream *s, char *err, size_t errlen);
/* Reads what is available into the pending buffer: bytes read, 0 at end of stream
 * (nvidia-smi exited), -1 on a read error (errno set; EINTR/EAGAIN mean "try again"). */
long tdm_gpu_smi_stream_read(tdm_gpu_smi_stream *s);
/* Takes the next complete reading out of the pending buffer: 1 with *out set, 0 when no
 * complete line is left. Lines that are not readings are skipped. */
int tdm_gpu_smi_stream_next(tdm_gpu_smi_stream *s, tdm_gpu_sample *out);
/* Stops nvidia-smi and frees the stream. */
void tdm_gpu_smi_stream_stop(tdm_gpu_smi_stream *s);

#endif
