/* gpu_sampler.c — one run's `tandem-gpu-telemetry sample` child: started and waited for
 * before the run's first phase, stopped after its concurrent phase (see gpu_telemetry.h).
 *
 * Waiting polls for the ready file with short sleeps; that is fine here because it
 * happens before the first phase starts, never inside a measured span. The child's
 * stderr goes to a file next to gpu.csv so a failure can be recorded with its reason
 * even under --quiet; the file is removed once read. */
#include "core/gpu_telemetry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/subproc.h"

#define READY_TIMEOUT_MS 15000 /* NVML init or a first nvidia-smi line: seconds at worst */
#define STOP_GRACE_MS 5000
#define POLL_STEP_NS 2000000LL

static char *sibling(const char *path, const char *name)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%.*s/%s", dirlen, slash ? path : ".", name);
    return tdm_buf_steal(&b);
}

/* The first line the child wrote on stderr ("" when none). */
static void log_line(const tdm_gpu_sampler *s, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = s->log ? fopen(s->log, "r") : NULL;
    if (!f)
        return;
    if (fgets(out, (int)outlen, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

static void failure(const tdm_gpu_sampler *s, const char *what, int status, char *err, size_t errlen)
{
    char st[64], line[400];
    tdm_subproc_describe_status(status, st, sizeof st);
    log_line(s, line, sizeof line);
    snprintf(err, errlen, "tandem-gpu-telemetry %s: it %s%s%s", what, st, *line ? ": " : "", line);
}

static void release(tdm_gpu_sampler *s)
{
    if (s->ready)
        unlink(s->ready);
    if (s->log)
        unlink(s->log);
    free(s->out);
    free(s->ready);
    free(s->log);
    memset(s, 0, sizeof *s);
}

int tdm_gpu_sampler_start(const tdm_gpu_telemetry *t, const char *out_csv, tdm_gpu_sampler *s, char *err,
                          size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->out = strdup(out_csv);
    s->ready = sibling(out_csv, ".gpu-telemetry.ready");
    s->log = sibling(out_csv, ".gpu-telemetry.log");
    if (!s->out || !s->ready || !s->log || !t->tool) {
        snprintf(err, errlen, "cannot start tandem-gpu-telemetry: out of memory");
        release(s);
        return -1;
    }
    unlink(s->ready);
    int log_fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s; is the run directory writable?", s->log, strerror(errno));
        release(s);
        return -1;
    }
    char interval[16];
    snprintf(interval, sizeof interval, "%d", t->interval_ms);
    char *argv[] = {t->tool, "sample", "--out", s->out, "--interval-ms", interval, "--ready-file", s->ready, NULL};
    pid_t pid = tdm_subproc_spawn(argv, -1, log_fd, err, errlen);
    close(log_fd);
    if (pid < 0) {
        release(s);
        return -1;
    }
    s->pid = pid;
    int64_t deadline = tdm_now_ns() + READY_TIMEOUT_MS * 1000000LL;
    for (;;) {
        if (access(s->ready, F_OK) == 0) {
            unlink(s->ready);
            return 0;
        }
        int status;
        if (tdm_subproc_wait(pid, 0, &status)) {
            failure(s, "sample ended before its first sample", status, err, errlen);
            s->pid = 0;
            release(s);
            return -1;
        }
        if (tdm_now_ns() >= deadline)
            break;
        tdm_sleep_ns(POLL_STEP_NS);
    }
    int status = tdm_subproc_stop(pid, STOP_GRACE_MS);
    s->pid = 0;
    char st[64];
    tdm_subproc_describe_status(status, st, sizeof st);
    snprintf(err, errlen, "tandem-gpu-telemetry sample wrote no first sample within %d ms (stopped; it %s)",
             READY_TIMEOUT_MS, st);
    release(s);
    return -1;
}

int tdm_gpu_sampler_stop(tdm_gpu_sampler *s, char *err, size_t errlen)
{
    if (s->pid <= 0) {
        release(s);
        return 0;
    }
    int status = tdm_subproc_stop(s->pid, STOP_GRACE_MS);
    s->pid = 0;
    int rc = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        failure(s, "sample failed during the run", status, err, errlen);
        rc = -1;
    } else if (access(s->out, F_OK) != 0) {
        snprintf(err, errlen, "tandem-gpu-telemetry sample ended cleanly but left no %s", s->out);
        rc = -1;
    }
    release(s);
    return rc;
}
