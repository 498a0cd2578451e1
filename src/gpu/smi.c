/* smi.c — nvidia-smi as a telemetry source (see smi.h). */
#include "gpu/smi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/subproc.h"
#include "gpu/smi_parse.h"

#define INFO_TIMEOUT_MS 30000
#define FIX "install the NVIDIA driver or set TANDEM_NVIDIA_SMI to the nvidia-smi to use"

/* The first line of text, for an error message (at most 200 bytes). */
static void first_line(const char *text, char *dst, size_t cap)
{
    size_t n = strcspn(text, "\r\n");
    snprintf(dst, cap, "%.*s", (int)(n > 200 ? 200 : n), text);
}

static int add_dev(tdm_gpu_info *out, const tdm_gpu_dev *g)
{
    tdm_gpu_dev *v = realloc(out->gpus, (out->n_gpus + 1) * sizeof *v);
    if (!v)
        return -1;
    out->gpus = v;
    out->gpus[out->n_gpus++] = *g;
    return 0;
}

/* The "CUDA Version" of the plain banner; left empty when it cannot be had. */
static void cuda_version(const char *cmd, tdm_gpu_info *out)
{
    char *argv[] = {(char *)cmd, NULL};
    tdm_buf text = {0};
    int st = 0;
    char err[256];
    if (tdm_subproc_capture(argv, INFO_TIMEOUT_MS, &text, NULL, &st, err, sizeof err) == 0 && WIFEXITED(st) &&
        WEXITSTATUS(st) == 0)
        tdm_gpu_smi_cuda_version(tdm_buf_str(&text), out->cuda_driver_version, sizeof out->cuda_driver_version);
    tdm_buf_free(&text);
}

static int parse_devices(const char *text, tdm_gpu_info *out)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), p);
        line[strcspn(line, "\r")] = '\0';
        tdm_gpu_dev g;
        char drv[sizeof out->driver_version];
        if (tdm_gpu_smi_parse_dev(line, &g, drv, sizeof drv) == 0) {
            if (add_dev(out, &g) != 0)
                return -1;
            if (!out->driver_version[0])
                snprintf(out->driver_version, sizeof out->driver_version, "%s", drv);
        }
        p += n + (p[n] == '\n');
    }
    return 0;
}

int tdm_gpu_smi_info(const char *cmd, tdm_gpu_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->source = "nvidia-smi";
    char *argv[] = {(char *)cmd, "--query-gpu=" TDM_GPU_SMI_INFO_FIELDS, "--format=csv,noheader,nounits", NULL};
    tdm_buf text = {0};
    int st = 0;
    char why[300];
    if (tdm_subproc_capture(argv, INFO_TIMEOUT_MS, &text, NULL, &st, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s; %s", why, FIX);
        tdm_buf_free(&text);
        return -1;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char line[256];
        first_line(tdm_buf_str(&text), line, sizeof line);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && !line[0]) /* the shell's "command not found" */
            snprintf(err, errlen, "%s failed (exit status 127: not found or not executable); %s", cmd, FIX);
        else
            snprintf(err, errlen, "%s failed (%s %d)%s%s; check that the NVIDIA driver is loaded and a GPU is visible",
                     cmd, WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
                     line[0] ? ": " : "", line);
        tdm_buf_free(&text);
        return -1;
    }
    int rc = parse_devices(tdm_buf_str(&text), out);
    tdm_buf_free(&text);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        tdm_gpu_info_free(out);
        return -1;
    }
    if (out->n_gpus == 0) {
        snprintf(err, errlen, "%s lists no GPU; run on a host with an NVIDIA GPU or check CUDA_VISIBLE_DEVICES/cgroup device access", cmd);
        return -1;
    }
    cuda_version(cmd, out);
    return 0;
}

int tdm_gpu_smi_stream_start(const char *cmd, int interval_ms, tdm_gpu_smi_stream *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    char lms[24];
    snprintf(lms, sizeof lms, "%d", interval_ms);
    char *argv[] = {(char *)cmd, "--query-gpu=" TDM_GPU_SMI_SAMPLE_FIELDS, "--format=csv,noheader,nounits", "-lms", lms,
                    NULL};
    char why[300];
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create a pipe for %s: %s", cmd, strerror(errno));
        return -1;
    }
    /* stderr stays ours: what nvidia-smi says when the driver fails is the reason */
    s->pid = tdm_subproc_spawn(argv, p[1], STDERR_FILENO, why, sizeof why);
    close(p[1]);
    if (s->pid < 0) {
        close(p[0]);
        s->pid = 0;
        snprintf(err, errlen, "%s; %s", why, FIX);
        return -1;
    }
    s->fd = p[0];
    return 0;
}

long tdm_gpu_smi_stream_read(tdm_gpu_smi_stream *s)
{
    char *dst = tdm_buf_tail(&s->pending, 4096);
    if (!dst) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = read(s->fd, dst, 4096);
    /* grow even by 0: tdm_buf_tail may have allocated without terminating */
    tdm_buf_grow(&s->pending, n > 0 ? (size_t)n : 0);
    return (long)n;
}

int tdm_gpu_smi_stream_next(tdm_gpu_smi_stream *s, tdm_gpu_sample *out)
{
    for (;;) {
        const char *text = tdm_buf_str(&s->pending);
        const char *nl = memchr(text, '\n', s->pending.len);
        if (!nl) {
            /* A "line" this long is not nvidia-smi output; drop it rather than grow forever. */
            if (s->pending.len > 65536)
                tdm_buf_reset(&s->pending);
            return 0;
        }
        size_t n = (size_t)(nl - text);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), text);
        line[strcspn(line, "\r")] = '\0';
        tdm_buf_consume(&s->pending, n + 1);
        if (tdm_gpu_smi_parse_sample(line, out) == 0)
            return 1;
    }
}

void tdm_gpu_smi_stream_stop(tdm_gpu_smi_stream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->pid > 0)
        tdm_subproc_stop(s->pid, 1000);
    s->pid = 0;
    tdm_buf_free(&s->pending);
}
