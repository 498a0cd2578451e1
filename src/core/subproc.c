/* subproc.c — posix_spawn, bounded waits and output capture (see subproc.h). */
#include "core/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

extern char **environ;

#define CAPTURE_CAP (1u << 20)
#define WAIT_STEP_NS 5000000LL /* 5 ms: waits happen between phases, never inside one */

pid_t tdm_subproc_spawn(char *const argv[], int out_fd, int err_fd, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        snprintf(err, errlen, "cannot start %s: out of memory", argv[0]);
        return -1;
    }
    if (posix_spawnattr_init(&at) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        snprintf(err, errlen, "cannot start %s: out of memory", argv[0]);
        return -1;
    }
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = rc ? rc
            : out_fd >= 0 ? posix_spawn_file_actions_adddup2(&fa, out_fd, 1)
                          : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    rc = rc ? rc
            : err_fd >= 0 ? posix_spawn_file_actions_adddup2(&fa, err_fd, 2)
                          : posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* The runtime's sockets must not live on in the child: a connection we close would
     * otherwise stay open until the sampler ends. */
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    /* A worker thread may block signals or we may ignore SIGPIPE; neither is the child's. */
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGPIPE);
    rc = rc ? rc : posix_spawnattr_setsigmask(&at, &none);
    rc = rc ? rc : posix_spawnattr_setsigdefault(&at, &def);
    rc = rc ? rc : posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    rc = rc ? rc : posix_spawnp(&pid, argv[0], &fa, &at, argv, environ); /* a bare name: PATH */
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

bool tdm_subproc_wait(pid_t pid, long timeout_ms, int *status)
{
    int64_t deadline = tdm_now_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR) {
            /* Not our child any more (reaped elsewhere): nothing left to wait for. */
            *status = 0;
            return true;
        }
        if (tdm_now_ns() >= deadline)
            return false;
        tdm_sleep_ns(WAIT_STEP_NS);
    }
}

int tdm_subproc_stop(pid_t pid, long grace_ms)
{
    int status = 0;
    if (tdm_subproc_wait(pid, 0, &status))
        return status;
    kill(pid, SIGTERM);
    if (tdm_subproc_wait(pid, grace_ms, &status))
        return status;
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

void tdm_subproc_describe_status(int status, char *out, size_t outlen)
{
    if (WIFEXITED(status))
        snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, outlen, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, outlen, "ended with wait status %d", status);
}

/* Reads what is there from fd into b (dropping bytes past the cap); false at EOF. */
static bool drain(int fd, tdm_buf *b)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    if (b && b->len + (size_t)n <= CAPTURE_CAP)
        tdm_buf_append(b, chunk, (size_t)n);
    return true;
}

int tdm_subproc_capture(char *const argv[], long timeout_ms, tdm_buf *out, tdm_buf *errout, int *status,
                        char *err, size_t errlen)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot start %s: pipe: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot start %s: pipe: %s", argv[0], strerror(errno));
        close(po[0]);
        close(po[1]);
        return -1;
    }
    pid_t pid = tdm_subproc_spawn(argv, po[1], pe[1], err, errlen);
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        return -1;
    }
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    tdm_buf *bufs[2] = {out, errout};
    int open_fds = 2;
    int64_t deadline = tdm_now_ns() + (int64_t)timeout_ms * 1000000LL;
    bool timed_out = false;
    while (open_fds > 0) {
        int64_t left = (deadline - tdm_now_ns()) / 1000000LL;
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2 && n > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!drain(fds[i].fd, bufs[i])) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    if (timed_out) {
        tdm_subproc_stop(pid, 0);
        snprintf(err, errlen, "%s did not finish within %ld ms (stopped)", argv[0], timeout_ms);
        return -1;
    }
    /* Both pipes are closed: the child is ending; give it the rest of the time. */
    long rest = (long)((deadline - tdm_now_ns()) / 1000000LL);
    if (!tdm_subproc_wait(pid, rest > 0 ? rest : 0, status)) {
        tdm_subproc_stop(pid, 0);
        snprintf(err, errlen, "%s did not finish within %ld ms (stopped)", argv[0], timeout_ms);
        return -1;
    }
    return 0;
}
