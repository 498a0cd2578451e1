/* sampler.c — the sampling loop (see sampler.h).
 *
 * SIGTERM/SIGINT only set a flag. They stay blocked while a sample is read and written,
 * so no reading or write is cut short, and are let in only while the loop waits: with
 * NVML in clock_nanosleep to the next absolute deadline on CLOCK_MONOTONIC (in slices of
 * at most WAIT_SLICE_NS, which bounds how late a signal landing just before the sleep is
 * noticed), with nvidia-smi in ppoll, which unblocks them atomically. */
#include "gpu/sampler.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "gpu/out.h"
#include "gpu/smi.h"
#include "gpu/timing.h"

#define WAIT_SLICE_NS (200 * 1000000LL)

static volatile sig_atomic_t stop_requested;
static int caught;         /* tdm_gpu_sampler_catch_signals ran */
static sigset_t saved_mask; /* the mask before it */
static sigset_t wait_mask;  /* saved_mask with SIGTERM and SIGINT let in */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void tdm_gpu_sampler_catch_signals(void)
{
    if (caught)
        return;
    caught = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: the waits must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGTERM);
    sigaddset(&both, SIGINT);
    sigprocmask(SIG_BLOCK, &both, &saved_mask);
    wait_mask = saved_mask;
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
}

/* After the first sample is on disk: the parent may stop waiting. */
static int mark_ready(const tdm_gpu_sampler_opts *o, const char *source, char *err, size_t errlen)
{
    if (!o->ready_file)
        return 0;
    char text[32];
    int n = snprintf(text, sizeof text, "%s\n", source);
    return tdm_write_file_atomic(o->ready_file, text, (size_t)n, err, errlen);
}

/* Sleeps until deadline (absolute CLOCK_MONOTONIC ns) or a stop request. */
static void wait_until(int64_t deadline, const sigset_t *blocked)
{
    sigprocmask(SIG_SETMASK, &wait_mask, NULL);
    while (!stop_requested) {
        int64_t now = tdm_now_ns();
        if (now >= deadline)
            break;
        int64_t until = deadline - now > WAIT_SLICE_NS ? now + WAIT_SLICE_NS : deadline;
        struct timespec ts = tdm_gpu_timespec(until);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    sigprocmask(SIG_SETMASK, blocked, NULL);
}

static int run_nvml(tdm_gpu_source *src, const tdm_gpu_sampler_opts *o, tdm_gpu_out *out, uint64_t *lines, char *err,
                    size_t errlen)
{
    sigset_t blocked;
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    const int64_t period = (int64_t)o->interval_ms * 1000000LL;
    const int64_t start = tdm_now_ns();
    unsigned n = tdm_gpu_nvml_count(src->nvml);
    /* One more reading after the stop request: the parent stops the sampler once its last
     * phase has ended, so that reading brackets the phase and both phases' energy comes
     * from the same counter (not one from the counter and one from power samples). */
    for (int first = 1;; first = 0) {
        for (unsigned i = 0; i < n; i++) {
            tdm_gpu_sample s;
            tdm_gpu_nvml_read(src->nvml, i, &s);
            s.t_mono_ns = tdm_now_ns();
            if (tdm_gpu_out_add(out, &s) != 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        if (tdm_gpu_out_flush(out, err, errlen) != 0)
            return -1;
        *lines += n;
        if (first && mark_ready(o, "nvml", err, errlen) != 0)
            return -1;
        if (stop_requested)
            break;
        wait_until(tdm_gpu_next_deadline(start, period, tdm_now_ns()), &blocked);
    }
    return 0;
}

/* Moves every complete line read so far into the file, stamped with `t`. */
static int drain(tdm_gpu_smi_stream *st, tdm_gpu_out *out, int64_t t, uint64_t *lines, char *err, size_t errlen)
{
    tdm_gpu_sample s;
    uint64_t n = 0;
    while (tdm_gpu_smi_stream_next(st, &s) == 1) {
        s.t_mono_ns = t;
        if (tdm_gpu_out_add(out, &s) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        n++;
    }
    if (tdm_gpu_out_flush(out, err, errlen) != 0)
        return -1;
    *lines += n;
    return 0;
}

static int run_smi(tdm_gpu_source *src, const tdm_gpu_sampler_opts *o, tdm_gpu_out *out, uint64_t *lines, char *err,
                   size_t errlen)
{
    tdm_gpu_smi_stream st;
    if (tdm_gpu_smi_stream_start(src->smi_cmd, o->interval_ms, &st, err, errlen) != 0)
        return -1;
    int rc = 0, ready = 0;
    while (!stop_requested) {
        struct pollfd pfd = {.fd = st.fd, .events = POLLIN};
        int pr = ppoll(&pfd, 1, NULL, &wait_mask);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot wait for %s: %s", src->smi_cmd, strerror(errno));
            rc = -1;
            break;
        }
        long n = tdm_gpu_smi_stream_read(&st);
        int64_t t = tdm_now_ns(); /* nvidia-smi paces itself: a line's time is its arrival */
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s stopped while sampling (%s); check the driver (dmesg) and run again", src->smi_cmd,
                     n == 0 ? "end of its output" : strerror(errno));
            rc = -1;
            break;
        }
        uint64_t before = *lines;
        if (drain(&st, out, t, lines, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (!ready && *lines > before) {
            ready = 1;
            if (mark_ready(o, "nvidia-smi", err, errlen) != 0) {
                rc = -1;
                break;
            }
        }
    }
    tdm_gpu_smi_stream_stop(&st);
    return rc;
}

int tdm_gpu_sampler_run(tdm_gpu_source *src, const tdm_gpu_sampler_opts *o, uint64_t *lines, char *err,
                        size_t errlen)
{
    *lines = 0;
    tdm_gpu_out out;
    if (tdm_gpu_out_open(&out, o->out, err, errlen) != 0)
        return -1;
    tdm_gpu_sampler_catch_signals();
    int rc = src->kind == TDM_GPU_SRC_NVML ? run_nvml(src, o, &out, lines, err, errlen)
                                           : run_smi(src, o, &out, lines, err, errlen);
    /* Unless a write failed, what is on disk is whole lines and becomes FILE even when
     * nvidia-smi stopped early; after a failed write FILE.partial is left as it is. */
    char ferr[512];
    if (!out.broken && tdm_gpu_out_finish(&out, ferr, sizeof ferr) != 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s", ferr);
        rc = -1;
    }
    tdm_gpu_out_free(&out);
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    caught = 0;
    return rc;
}
