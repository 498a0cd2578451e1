/* proc.c — child processes of tandem-calibrate: a measured run with its rusage (wait4
 * gives the CPU the child and the children it waited for used, and nothing else), and
 * tandem-sim started on OS-chosen ports, ready when its --ready-file appears. */
#include "calibrate/calibrate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fileio.h"

char *tdm_cal_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s) {
        fprintf(stderr, "tandem-calibrate: out of memory\n");
        exit(1);
    }
    return s;
}

void tdm_cal_log(const tdm_cal_opts *o, const char *fmt, ...)
{
    if (o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void redirect(int fd, const char *path)
{
    int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f >= 0) {
        dup2(f, fd);
        close(f);
    }
}

/* SIGCHLD stays blocked in this process so that sigtimedwait can wait for a child with
 * a timeout without polling (a polling parent would take CPU from the measured child on
 * a small machine). Children get the normal mask back before exec. */
void tdm_cal_block_sigchld(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

void tdm_cal_child_unblock(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
}

static pid_t spawn(char *const argv[], const char *out_path, const char *err_path, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork failed: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        tdm_cal_child_unblock();
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) {
            dup2(in, 0);
            close(in);
        }
        redirect(1, out_path);
        redirect(2, err_path);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

int tdm_cal_wait(pid_t pid, int64_t t0, int timeout_s, tdm_cal_child *res, char *err, size_t errlen)
{
    int64_t deadline = t0 + (int64_t)timeout_s * 1000000000LL;
    int status = 0;
    struct rusage ru;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            snprintf(err, errlen, "wait4 failed: %s", strerror(errno));
            return -1;
        }
        int64_t left = deadline - tdm_now_ns();
        if (left <= 0) {
            if (!res->timed_out) {
                res->timed_out = true;
                kill(pid, SIGKILL);
            }
            left = 100000000; /* SIGKILL is on its way */
        }
        struct timespec ts = {.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
        sigtimedwait(&set, NULL, &ts); /* a SIGCHLD (any child) or the time limit */
    }
    res->wall_s = (double)(tdm_now_ns() - t0) / 1e9;
    res->user_s = tv_s(ru.ru_utime);
    res->sys_s = tv_s(ru.ru_stime);
    res->nvcsw = ru.ru_nvcsw;
    res->nivcsw = ru.ru_nivcsw;
    res->max_rss_kb = ru.ru_maxrss; /* Linux reports KiB */
    res->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

int tdm_cal_run(char *const argv[], const char *out_path, const char *err_path, int timeout_s,
                tdm_cal_child *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int64_t t0 = tdm_now_ns();
    pid_t pid = spawn(argv, out_path, err_path, err, errlen);
    if (pid < 0)
        return -1;
    return tdm_cal_wait(pid, t0, timeout_s, res, err, errlen);
}

static int read_ready(const char *path, int *ports, size_t n_ports)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = 0;
    int port;
    char dev[128];
    while (n < n_ports && fscanf(f, "%d %127s", &port, dev) == 2)
        ports[n++] = port;
    fclose(f);
    return n == n_ports ? 0 : -1;
}

/* Starts one tandem-sim process with n_ports ports (numbered from first in sim->ports)
 * and waits until it listens. */
static int start_one(const tdm_cal_opts *o, tdm_cal_sim *sim, size_t proc, size_t first, size_t n_ports,
                     const char *const *extra, char *err, size_t errlen)
{
    char *ready = tdm_cal_strdup_printf("%s/ready-%zu", sim->dir, proc);
    char *errp = tdm_cal_strdup_printf("%s/stderr-%zu", sim->dir, proc);
    unlink(ready);
    size_t n_extra = 0;
    while (extra && extra[n_extra])
        n_extra++;
    char **argv = calloc(1 + 2 * n_ports + n_extra + 9, sizeof *argv);
    if (!argv) {
        snprintf(err, errlen, "out of memory");
        free(ready);
        free(errp);
        return -1;
    }
    size_t k = 0;
    argv[k++] = tdm_cal_strdup_printf("%s/tandem-sim", o->bindir);
    for (size_t i = 0; i < n_ports; i++) {
        argv[k++] = tdm_cal_strdup_printf("--port");
        argv[k++] = tdm_cal_strdup_printf("0"); /* each its own device */
    }
    for (size_t i = 0; i < n_extra; i++)
        argv[k++] = tdm_cal_strdup_printf("%s", extra[i]);
    argv[k++] = tdm_cal_strdup_printf("--host");
    argv[k++] = tdm_cal_strdup_printf("127.0.0.1");
    argv[k++] = tdm_cal_strdup_printf("--ready-file");
    argv[k++] = tdm_cal_strdup_printf("%s", ready);
    if (sim->emit_paths) {
        argv[k++] = tdm_cal_strdup_printf("--emit-log");
        argv[k++] = tdm_cal_strdup_printf("%s", sim->emit_paths[proc]);
    }
    argv[k] = NULL;
    sim->pids[proc] = spawn(argv, NULL, errp, err, errlen);
    for (size_t i = 0; i < k; i++)
        free(argv[i]);
    free(argv);
    int rc = -1;
    int64_t deadline = tdm_now_ns() + 15000000000LL;
    while (sim->pids[proc] > 0) {
        struct stat st;
        if (stat(ready, &st) == 0 && read_ready(ready, sim->ports + first, n_ports) == 0) {
            rc = 0;
            break;
        }
        int status;
        if (waitpid(sim->pids[proc], &status, WNOHANG) == sim->pids[proc]) {
            snprintf(err, errlen, "tandem-sim exited before it was ready; see %s", errp);
            sim->pids[proc] = -1;
            break;
        }
        if (tdm_now_ns() > deadline) {
            snprintf(err, errlen, "tandem-sim was not ready within 15 s; see %s", errp);
            break;
        }
        tdm_sleep_ns(5000000);
    }
    free(ready);
    free(errp);
    return rc;
}

int tdm_cal_sim_start(const tdm_cal_opts *o, const char *label, size_t n_ports, const char *const *extra,
                      bool emit_log, tdm_cal_sim *sim, char *err, size_t errlen)
{
    memset(sim, 0, sizeof *sim);
    sim->dir = tdm_cal_strdup_printf("%s/%s.sim", o->workdir, label);
    if (tdm_mkdirs(sim->dir, err, errlen) != 0) {
        tdm_cal_sim_free(sim);
        return -1;
    }
    sim->n_procs = (n_ports + TDM_CAL_SIM_MAX_PORTS - 1) / TDM_CAL_SIM_MAX_PORTS;
    sim->pids = calloc(sim->n_procs, sizeof *sim->pids);
    sim->ports = calloc(n_ports, sizeof *sim->ports);
    if (emit_log)
        sim->emit_paths = calloc(sim->n_procs, sizeof *sim->emit_paths);
    if (!sim->pids || !sim->ports || (emit_log && !sim->emit_paths)) {
        snprintf(err, errlen, "out of memory");
        tdm_cal_sim_free(sim);
        return -1;
    }
    for (size_t p = 0; p < sim->n_procs; p++) {
        sim->pids[p] = -1;
        if (emit_log) {
            sim->emit_paths[p] = tdm_cal_strdup_printf("%s/emit-%zu.ndjson", sim->dir, p);
            unlink(sim->emit_paths[p]);
        }
    }
    for (size_t p = 0; p < sim->n_procs; p++) {
        size_t first = p * TDM_CAL_SIM_MAX_PORTS;
        size_t n = n_ports - first < TDM_CAL_SIM_MAX_PORTS ? n_ports - first : TDM_CAL_SIM_MAX_PORTS;
        if (start_one(o, sim, p, first, n, extra, err, errlen) != 0) {
            tdm_cal_sim_free(sim);
            return -1;
        }
    }
    sim->n_ports = n_ports;
    return 0;
}

void tdm_cal_sim_stop(tdm_cal_sim *sim)
{
    for (size_t p = 0; p < sim->n_procs; p++)
        if (sim->pids[p] > 0)
            kill(sim->pids[p], SIGTERM);
    for (size_t p = 0; p < sim->n_procs; p++) {
        if (sim->pids[p] <= 0)
            continue;
        tdm_cal_child res;
        char err[128];
        memset(&res, 0, sizeof res);
        tdm_cal_wait(sim->pids[p], tdm_now_ns(), 10, &res, err, sizeof err); /* SIGKILL after 10 s */
        sim->pids[p] = -1;
    }
}

void tdm_cal_sim_free(tdm_cal_sim *sim)
{
    if (sim->pids)
        tdm_cal_sim_stop(sim);
    for (size_t p = 0; sim->emit_paths && p < sim->n_procs; p++)
        free(sim->emit_paths[p]);
    free(sim->emit_paths);
    free(sim->pids);
    free(sim->ports);
    free(sim->dir);
    memset(sim, 0, sizeof *sim);
}
