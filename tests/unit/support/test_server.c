/* test_server.c — the driver tests' streaming NDJSON server and scenario fixture (see
 * test_server.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/record.h"
#include "test_server.h"
/* ---- a streaming server in threads -------------------------------------------------- */



typedef struct conn_arg {
    server *s;
    int fd;
} conn_arg;

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void add_chunk(tdm_buf *b, const char *line)
{
    tdm_buf_printf(b, "%zx\r\n%s\r\n", strlen(line), line);
}

static void token_line(char *out, size_t len, int i, int pad)
{
    char fill[4096];
    int p = pad < (int)sizeof fill - 1 ? pad : (int)sizeof fill - 1;
    memset(fill, 'x', (size_t)p);
    fill[p] = '\0';
    snprintf(out, len, "{\"model\":\"m\",\"response\":\"tok%d%s \",\"done\":false}\n", i, fill);
}

static void respond(server *s, int fd)
{
    tdm_buf b = {0};
    char line[4400];
    tdm_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < s->lines; i++) {
        token_line(line, sizeof line, i, s->pad);
        add_chunk(&b, line);
        if (s->mode == MODE_BURST)
            continue;
        write_all(fd, b.data, b.len);
        tdm_buf_reset(&b);
        if (s->mode == MODE_STALL && i == 1) {
            while (!atomic_load(&s->stop))
                usleep(5000);
            tdm_buf_free(&b);
            return;
        }
        if (s->delay_us)
            usleep((useconds_t)s->delay_us);
    }
    snprintf(line, sizeof line,
             "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\",\"eval_count\":%d}\n",
             s->lines);
    add_chunk(&b, line);
    tdm_buf_append_str(&b, "0\r\n\r\n");
    write_all(fd, b.data, b.len);
    tdm_buf_free(&b);
}

/* Serves requests on one connection until the client closes it or the test ends. */
static void *conn_main(void *arg)
{
    conn_arg a = *(conn_arg *)arg;
    free(arg);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
    setsockopt(a.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tdm_buf in = {0};
    while (!atomic_load(&a.s->stop)) {
        char buf[4096];
        ssize_t n = read(a.fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0)
            continue; /* timeout: look at stop again */
        tdm_buf_append(&in, buf, (size_t)n);
        const char *end = strstr(tdm_buf_str(&in), "\r\n\r\n");
        if (!end)
            continue;
        size_t head = (size_t)(end - in.data) + 4;
        const char *cl = strstr(in.data, "Content-Length: ");
        size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
        if (in.len < head + body)
            continue;
        atomic_fetch_add(&a.s->requests, 1);
        respond(a.s, a.fd);
        size_t used = head + body;
        memmove(in.data, in.data + used, in.len - used);
        in.len -= used;
        in.data[in.len] = '\0';
    }
    tdm_buf_free(&in);
    close(a.fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    server *s = arg;
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            break; /* shut down by server_stop */
        conn_arg *a = malloc(sizeof *a);
        assert_non_null(a);
        a->s = s;
        a->fd = fd;
        pthread_mutex_lock(&s->mu);
        assert_true(s->n_conns < 32);
        assert_int_equal(pthread_create(&s->conns[s->n_conns++], NULL, conn_main, a), 0);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

int bind_local(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

void server_start(server *s, int mode, int lines, int pad, int delay_us)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->lines = lines;
    s->pad = pad;
    s->delay_us = delay_us;
    s->lfd = bind_local(&s->port);
    assert_int_equal(listen(s->lfd, 16), 0);
    pthread_mutex_init(&s->mu, NULL);
    assert_int_equal(pthread_create(&s->acceptor, NULL, accept_main, s), 0);
}

void server_stop(server *s)
{
    atomic_store(&s->stop, true);
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    for (int i = 0; i < s->n_conns; i++)
        pthread_join(s->conns[i], NULL);
    pthread_mutex_destroy(&s->mu);
}

/* ---- scenario and jobs ------------------------------------------------------------------- */



/* Two agents of two steps each, on ports pa and pb. */
void fixture_init(fixture *f, uint16_t pa, uint16_t pb, size_t n_agents)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: t\nwarmup: false\nphases: [concurrent]\n"
             "timeouts: {connect_ms: 2000, first_byte_ms: 2000, idle_ms: 300, total_ms: 10000}\n"
             "defaults: {model: m}\n"
             "agents:\n"
             "  - {name: a, url: 'http://127.0.0.1:%u', steps: [{prompt: one}, {prompt: 'two {previous}'}]}\n"
             "  - {name: b, url: 'http://127.0.0.1:%u', steps: [{prompt: x}, {prompt: y}]}\n",
             (unsigned)pa, (unsigned)pb);
    char err[512];
    memset(f, 0, sizeof *f);
    assert_int_equal(tdm_scenario_load_string(yaml, strlen(yaml), "test", &f->s, err, sizeof err), 0);
    f->n_jobs = n_agents;
    for (size_t i = 0; i < n_agents; i++) {
        size_t n = f->s.agents[i].n_steps;
        tdm_call_record *recs = calloc(n, sizeof *recs);
        assert_non_null(recs);
        for (size_t k = 0; k < n; k++)
            tdm_record_init(&recs[k], 1, TDM_PHASE_CONCURRENT, (int)i, (int)k);
        tdm_job_init(&f->jobs[i], &f->s, (int)i, false, recs, n);
    }
}

void fixture_free(fixture *f)
{
    for (size_t i = 0; i < f->n_jobs; i++) {
        for (size_t k = 0; k < f->jobs[i].n_calls; k++)
            tdm_record_free(&f->jobs[i].records[k]);
        free(f->jobs[i].records);
    }
    tdm_scenario_free(&f->s);
}

/* Resets the jobs for another phase over the same connections. */
void fixture_rearm(fixture *f)
{
    for (size_t i = 0; i < f->n_jobs; i++) {
        for (size_t k = 0; k < f->jobs[i].n_calls; k++) {
            tdm_record_free(&f->jobs[i].records[k]);
            tdm_record_init(&f->jobs[i].records[k], 2, TDM_PHASE_CONCURRENT, (int)i, (int)k);
        }
        tdm_job_init(&f->jobs[i], &f->s, (int)i, false, f->jobs[i].records, f->jobs[i].n_calls);
    }
}
