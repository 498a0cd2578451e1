/* proc.c — spawning nvidia-smi and reading what it prints (see proc.h). */
#include "gpu/proc.h"

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

int tdm_gpu_spawn(char *const argv[], pid_t *pid, int *fd, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create a pipe for %s: %s", argv[0], strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawnattr_init(&at);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    *fd = p[0];
    return 0;
}

void tdm_gpu_reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        tdm_sleep_ns(10 * 1000000LL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

int tdm_gpu_capture(char *const argv[], int timeout_ms, tdm_buf *out, int *status, char *err, size_t errlen)
{
    pid_t pid;
    int fd;
    if (tdm_gpu_spawn(argv, &pid, &fd, err, errlen) != 0)
        return -1;
    int64_t deadline = tdm_now_ns() + (int64_t)timeout_ms * 1000000LL;
    int rc = 0;
    for (;;) {
        int64_t left = deadline - tdm_now_ns();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = left > 0 ? poll(&pfd, 1, (int)(left / 1000000LL) + 1) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            snprintf(err, errlen, "%s did not finish within %d ms", argv[0], timeout_ms);
            rc = -1;
            break;
        }
        char *dst = tdm_buf_tail(out, 4096);
        if (!dst) {
            snprintf(err, errlen, "out of memory reading %s", argv[0]);
            rc = -1;
            break;
        }
        ssize_t n = read(fd, dst, 4096);
        /* grow even by 0: tdm_buf_tail may have allocated without terminating */
        tdm_buf_grow(out, n > 0 ? (size_t)n : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out->len > (1u << 20)) {
            snprintf(err, errlen, "%s printed more than 1 MiB", argv[0]);
            rc = -1;
            break;
        }
    }
    close(fd);
    if (rc != 0) {
        tdm_gpu_reap(pid);
        return -1;
    }
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "cannot wait for %s: %s", argv[0], strerror(errno));
            return -1;
        }
    }
    return 0;
}
