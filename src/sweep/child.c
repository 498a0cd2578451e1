/* child.c — starting, timing and stopping a cell's child process (see child.h). */
#include "sweep/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a child has to exit after SIGTERM before it gets SIGKILL. */
#define STOP_GRACE_MS 5000

static sigset_t g_blocked;  /* SIGINT, SIGTERM, SIGCHLD */
static sigset_t g_original; /* the mask the sweep started with: what the child gets */
static int g_stop_signal;

static void on_sigchld(int sig)
{
    (void)sig; /* only there so SIGCHLD is not discarded: it is taken by sigtimedwait */
}

void tdm_sweep_signals_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&g_blocked);
    sigaddset(&g_blocked, SIGINT);
    sigaddset(&g_blocked, SIGTERM);
    sigaddset(&g_blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &g_blocked, &g_original);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for one of the blocked signals; returns it, or 0 on timeout. A stop
 * signal is remembered. */
static int wait_signal(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    for (;;) {
        int s = sigtimedwait(&g_blocked, NULL, &ts);
        if (s < 0 && errno == EINTR)
            continue;
        if (s == SIGINT || s == SIGTERM)
            g_stop_signal = g_stop_signal ? g_stop_signal : s;
        return s < 0 ? 0 : s;
    }
}

int tdm_sweep_interrupted(void)
{
    while (!g_stop_signal && wait_signal(0) > 0) {
        /* drain SIGCHLDs of children already reaped */
    }
    return g_stop_signal;
}

int tdm_sweep_sleep_ms(int64_t ms)
{
    int64_t deadline = now_ms() + ms;
    while (!tdm_sweep_interrupted()) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        wait_signal(left);
    }
    return g_stop_signal;
}

/* SIGTERM to the child's group, SIGKILL after the grace period (or at once when a second
 * stop signal comes). Reaps the child; returns its wait status. */
static int stop_child(pid_t pid)
{
    int st = 0;
    int first = g_stop_signal;
    killpg(pid, SIGTERM);
    int64_t deadline = now_ms() + STOP_GRACE_MS;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            break;
        int64_t left = deadline - now_ms();
        int s = left > 0 ? wait_signal(left) : 0;
        bool again = (s == SIGINT || s == SIGTERM) && first != 0;
        if (left <= 0 || again) {
            killpg(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        if (s == SIGINT || s == SIGTERM)
            first = s;
    }
    return st;
}

static void child_exec(char *const argv[], int out_fd, int err_fd, int report_fd, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the sweep died between fork and prctl */
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &g_original, NULL);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
        int e = errno;
        (void)!write(report_fd, &e, sizeof e);
        _exit(127);
    }
    execv(argv[0], argv);
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(127);
}

int tdm_child_run(char *const argv[], const char *stdout_path, const char *stderr_path, int64_t timeout_ms,
                  tdm_child_started_fn started, void *arg, tdm_child_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->exit_status = -1;
    int out_fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int pipefd[2] = {-1, -1};
    if (out_fd < 0 || err_fd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot prepare the child's output files (%s, %s): %s", stdout_path, stderr_path,
                 strerror(errno));
        if (out_fd >= 0)
            close(out_fd);
        if (err_fd >= 0)
            close(err_fd);
        return -1;
    }
    pid_t parent = getpid();
    int64_t t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, out_fd, err_fd, pipefd[1], parent);
    close(out_fd);
    close(err_fd);
    close(pipefd[1]);
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: fork: %s", argv[0], strerror(errno));
        close(pipefd[0]);
        return -1;
    }
    setpgid(pid, pid); /* also in the child: whichever runs first */
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(pipefd[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    close(pipefd[0]);
    if (n == (ssize_t)sizeof exec_errno) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(exec_errno));
        return -1;
    }
    if (started)
        started(pid, arg);

    int st = 0;
    int64_t deadline = t0 + timeout_ms;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            st = 0;
            break;
        }
        if (g_stop_signal) {
            res->interrupted_by = g_stop_signal;
            st = stop_child(pid);
            break;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            res->timed_out = true;
            st = stop_child(pid);
            break;
        }
        wait_signal(left);
    }
    res->duration_s = (double)(now_ms() - t0) / 1000.0;
    if (WIFEXITED(st))
        res->exit_status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        res->exit_status = 128 + WTERMSIG(st);
    return 0;
}
