/* raw.c — the physical-limit row: the least a client can do with the same streams.
 *
 * A forked child opens a blocking loopback socket per stream, sends the same generate
 * request a variant sends (with Connection: close, so the end of the response is EOF
 * and no HTTP parsing is needed), and then only read()s 8 KB at a time and splits the
 * bytes into lines, counting those that start with '{' (the NDJSON lines; the chunk-size
 * lines of the chunked framing are split but not counted). No de-chunking, no JSON, no
 * timestamps, no records. Its CPU time per event while it streams (getrusage around
 * its runs, as a variant records its phases) is what reading the bytes off loopback
 * costs by itself.
 *
 * The plain reader wakes for whatever has arrived; against a server that writes one
 * token per write() that is about one wake-up per token, and wake-ups, not bytes, are
 * then its cost. The `lowat` form sets SO_RCVLOWAT to the read size, so every read()
 * returns a full 8 KB (except at the end): the least CPU any client can spend on the
 * same bytes, the floor below which no runtime can go.
 *
 * It makes the streams of the variants' scenario in the same shape — per run, every
 * agent's stream alone, one after another, then all of them at once (one blocking thread
 * each, like the `blocking` control) — because how many tokens wait in the socket per
 * read(), and so the CPU per token, depends on how many streams the server interleaves. */
#include "calibrate/calibrate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/cpuusage.h"

#define RAW_READ 8192

typedef struct raw_counts {
    uint64_t lines, bytes, reads, calls;
    int64_t wall_ns;  /* sum over runs of T_seq + T_conc */
    int64_t cpu_ns;   /* the child's CPU over the same (getrusage, all threads) */
    int failed;       /* 0, or errno of the first failure */
} raw_counts;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int one_stream(int port, int idx, int tokens, bool lowat, raw_counts *rc)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 30}; /* a stalled simulator must not hang calibration */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int low = RAW_READ;
    if (lowat)
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low);
    char body[256], req[512];
    int bl = snprintf(body, sizeof body,
                      "{\"model\":\"gemma3:latest\",\"prompt\":\"Calibrate stream %d.\",\"stream\":true,"
                      "\"options\":{\"num_predict\":%d,\"temperature\":0}}",
                      idx, tokens);
    int rl = snprintf(req, sizeof req,
                      "POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                      port, bl, body);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || write_all(fd, req, (size_t)rl) != 0) {
        close(fd);
        return -1;
    }
    char buf[RAW_READ];
    bool line_start = true;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break; /* EOF: not counted, like the variants' keep-alive reads */
        rc->reads++;
        rc->bytes += (uint64_t)n;
        /* Split into lines: a line begins after every '\n'. */
        const char *p = buf, *end = buf + n;
        while (p < end) {
            if (line_start && *p == '{')
                rc->lines++;
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                line_start = false;
                break;
            }
            line_start = true;
            p = nl + 1;
        }
    }
    rc->calls++;
    close(fd);
    return 0;
}

typedef struct raw_thread {
    pthread_t th;
    int port, idx, tokens;
    bool lowat;
    raw_counts rc;
} raw_thread;

static void *thread_main(void *arg)
{
    raw_thread *t = arg;
    if (one_stream(t->port, t->idx, t->tokens, t->lowat, &t->rc) != 0)
        t->rc.failed = errno ? errno : EIO;
    return NULL;
}

static void add_counts(raw_counts *acc, const raw_counts *c)
{
    acc->lines += c->lines;
    acc->bytes += c->bytes;
    acc->reads += c->reads;
    acc->calls += c->calls;
    if (!acc->failed)
        acc->failed = c->failed;
}

/* The child's work: runs x (sequential phase, then concurrent phase). */
static void child_main(const int *ports, size_t n_ports, int runs, int tokens, bool lowat, raw_counts *rc)
{
    raw_thread *th = calloc(n_ports, sizeof *th);
    if (!th) {
        rc->failed = ENOMEM;
        return;
    }
    int idx = 0;
    tdm_cpu_usage cpu0 = tdm_cpu_now();
    for (int r = 0; r < runs && !rc->failed; r++) {
        int64_t t0 = tdm_now_ns();
        for (size_t a = 0; a < n_ports && !rc->failed; a++)
            if (one_stream(ports[a], idx++, tokens, lowat, rc) != 0)
                rc->failed = errno ? errno : EIO;
        rc->wall_ns += tdm_now_ns() - t0; /* T_seq */
        t0 = tdm_now_ns();
        size_t started = 0;
        while (started < n_ports && !rc->failed) {
            raw_thread *t = &th[started];
            memset(t, 0, sizeof *t);
            t->port = ports[started];
            t->idx = idx++;
            t->tokens = tokens;
            t->lowat = lowat;
            if (pthread_create(&t->th, NULL, thread_main, t) != 0)
                rc->failed = EAGAIN;
            else
                started++;
        }
        for (size_t a = 0; a < started; a++) {
            pthread_join(th[a].th, NULL);
            add_counts(rc, &th[a].rc);
        }
        rc->wall_ns += tdm_now_ns() - t0; /* T_conc */
    }
    tdm_cpu_usage cpu = tdm_cpu_since(cpu0);
    rc->cpu_ns = cpu.user_ns + cpu.sys_ns;
    free(th);
}

int tdm_cal_raw_run(const int *ports, size_t n_ports, int runs, int tokens, bool lowat, tdm_cal_tp *tp, char *err,
                    size_t errlen)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(err, errlen, "pipe failed: %s", strerror(errno));
        return -1;
    }
    int64_t t0 = tdm_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork failed: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        tdm_cal_child_unblock();
        close(pfd[0]);
        raw_counts rc;
        memset(&rc, 0, sizeof rc);
        child_main(ports, n_ports, runs, tokens, lowat, &rc);
        _exit(write_all(pfd[1], (const char *)&rc, sizeof rc) == 0 ? 0 : 1);
    }
    close(pfd[1]);
    raw_counts rc;
    memset(&rc, 0, sizeof rc);
    size_t got = 0;
    while (got < sizeof rc) {
        ssize_t n = read(pfd[0], (char *)&rc + got, sizeof rc - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(pfd[0]);
    tdm_cal_child ch;
    memset(&ch, 0, sizeof ch);
    if (tdm_cal_wait(pid, t0, 600, &ch, err, errlen) != 0)
        return -1;
    if (got != sizeof rc || ch.exit_status != 0 || rc.failed) {
        snprintf(err, errlen, "the raw reader failed: %s", rc.failed ? strerror(rc.failed) : "no result");
        return -1;
    }
    tp->user_s = ch.user_s;
    tp->sys_s = ch.sys_s;
    tp->cpu_s = ch.user_s + ch.sys_s;
    tp->stream_cpu_s = (double)rc.cpu_ns / 1e9;
    tp->calls = rc.calls;
    /* Every stream ends with the done line, which carries no token. */
    tp->events = rc.lines >= rc.calls ? rc.lines - rc.calls : 0;
    tp->tokens = tp->events;
    tp->bytes = rc.bytes;
    tp->reads = rc.reads;
    tp->stream_wall_s = (double)rc.wall_ns / 1e9;
    return 0;
}
