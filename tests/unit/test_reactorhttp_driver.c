/* test_reactorhttp_driver.c — tandem's own HTTP/1.1 client on the tandem reactor (the
 * smol-1kb / smol-8kb loop) and in blocking mode (the blocking control), end to end
 * against a small streaming NDJSON server on 127.0.0.1:0 in threads of its own: two
 * agents of two steps each (keep-alive reuse, {previous}), the read discipline (a
 * response written in one burst takes at least body/read_buf reads), a refused
 * connection (connect error naming the fix, next step skipped), and a stalled stream
 * (idle timeout from the reactor's timer, or from the socket's io timeout in blocking
 * mode). Each test ends by checking the reactor kept no fd or timer. */
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

#include "core/clock.h"
#include "core/job.h"
#include "core/scenario.h"
#include "reactor/reactor.h"
#include "reactorhttp/driver.h"
#include "reactorhttp/transfer.h"

#include "support/test_server.h"

#define MS 1000000LL

static void run_reactor(fixture *f, size_t read_buf, tdm_http1_conn_stats *stats, int rearm_runs)
{
    tdm_reactor *r = tdm_reactor_create();
    assert_non_null(r);
    tdm_reactorhttp *d = tdm_reactorhttp_create(r, read_buf, f->s.n_agents);
    assert_non_null(d);
    for (int k = 0; k <= rearm_runs; k++) {
        if (k > 0)
            fixture_rearm(f);
        int64_t now = tdm_now_ns();
        for (size_t i = 0; i < f->n_jobs; i++)
            assert_int_equal(tdm_reactorhttp_add_job(d, &f->jobs[i], now), 0);
        assert_int_equal(tdm_reactorhttp_run(d), 0);
        assert_int_equal(tdm_reactorhttp_active(d), 0);
    }
    if (stats)
        tdm_reactorhttp_stats(d, stats);
    tdm_reactorhttp_destroy(d);
    /* Nothing of the driver's is left in the reactor. */
    assert_int_equal(tdm_reactor_fd_count(r), 0);
    assert_int_equal(tdm_reactor_timer_count(r), 0);
    tdm_reactor_destroy(r);
}

static void assert_call_ok(const tdm_call_record *c, int lines)
{
    if (!c->ok)
        fail_msg("call failed: %s: %s", tdm_error_kind_name(c->error_kind), c->error_message);
    assert_int_equal(c->http_status, 200);
    assert_int_equal((int)c->frames, lines + 1);
    assert_int_equal((int)c->n_events, lines);
    assert_true(c->t_begin > 0 && c->t_begin <= c->t_start);
    assert_true(c->t_start <= c->t_first_byte && c->t_first_byte <= c->t_done);
    assert_true(c->reads >= 1);
    assert_non_null(strstr(tdm_buf_str(&c->text), "tok0"));
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void test_two_agents_reuse(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STREAM, 20, 0, 500);
    fixture f;
    fixture_init(&f, sv.port, sv.port, 2);
    tdm_http1_conn_stats st;
    run_reactor(&f, 1024, &st, 1); /* two phases over the same connections */
    for (size_t i = 0; i < 2; i++) {
        tdm_agent_job *j = &f.jobs[i];
        assert_call_ok(&j->records[0], 20);
        assert_call_ok(&j->records[1], 20);
        /* Every call of the second phase, and the second of the first, reused. */
        assert_true(j->records[0].reused_connection);
        assert_int_equal(j->records[0].connect_ns, 0);
        assert_true(j->records[1].reused_connection);
        assert_true(j->t_end >= j->t_begin && j->t_end > 0);
    }
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.requests, 8);
    assert_int_equal(st.responses, 8);
    assert_int_equal(atomic_load(&sv.requests), 8);
    fixture_free(&f);
    server_stop(&sv);
}

/* A response written in one burst: with read_buf bytes per read() the body alone needs
 * at least body/read_buf reads, and 1 KB reads need more of them than 8 KB reads. */
static void test_read_size(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_BURST, 100, 300, 0);
    uint64_t reads[2], bytes[2];
    size_t sizes[2] = {1024, 8192};
    for (int k = 0; k < 2; k++) {
        fixture f;
        fixture_init(&f, sv.port, sv.port, 1);
        tdm_http1_conn_stats st;
        run_reactor(&f, sizes[k], &st, 0);
        assert_call_ok(&f.jobs[0].records[0], 100);
        assert_call_ok(&f.jobs[0].records[1], 100);
        reads[k] = f.jobs[0].records[0].reads;
        bytes[k] = f.jobs[0].records[0].bytes;
        assert_true(reads[k] >= (bytes[k] + sizes[k] - 1) / sizes[k]);
        /* The core heard of every read() the conn made, but for empty ones before a byte. */
        uint64_t heard = f.jobs[0].records[0].reads + f.jobs[0].records[1].reads;
        assert_true(heard <= st.reads && heard >= st.reads - st.reads_empty);
        fixture_free(&f);
    }
    assert_true(bytes[0] > 30000);
    assert_true(reads[0] > reads[1]);
    server_stop(&sv);
}

static void test_refused(void **state)
{
    (void)state;
    uint16_t port;
    int fd = bind_local(&port); /* bound, never listening: connections are refused */
    fixture f;
    fixture_init(&f, port, port, 1);
    run_reactor(&f, 1024, NULL, 0);
    const tdm_call_record *c = &f.jobs[0].records[0];
    assert_false(c->ok);
    assert_int_equal(c->error_kind, TDM_ERR_CONNECT);
    assert_non_null(strstr(c->error_message, "ollama serve"));
    assert_non_null(strstr(c->error_message, "http://127.0.0.1:"));
    assert_int_equal(c->t_start, 0);
    assert_int_equal(c->t_first_byte, 0);
    assert_int_equal(f.jobs[0].records[1].error_kind, TDM_ERR_SKIPPED);
    assert_true(f.jobs[0].t_end > 0);
    fixture_free(&f);
    close(fd);
}

static void test_stall_idle_timeout(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STALL, 20, 0, 0);
    fixture f;
    fixture_init(&f, sv.port, sv.port, 1);
    run_reactor(&f, 1024, NULL, 0);
    const tdm_call_record *c = &f.jobs[0].records[0];
    assert_false(c->ok);
    assert_int_equal(c->error_kind, TDM_ERR_TIMEOUT_IDLE);
    assert_int_equal((int)c->n_events, 2);
    int64_t waited = c->t_done - c->t_first_byte;
    assert_true(waited >= 300 * MS && waited < 2000 * MS); /* idle_ms 300, checked every 100 ms */
    assert_int_equal(f.jobs[0].records[1].error_kind, TDM_ERR_SKIPPED);
    fixture_free(&f);
    server_stop(&sv);
}

/* The blocking control's path: same glue, blocking sockets on this thread. */
static void test_blocking_mode(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STREAM, 20, 0, 500);
    fixture f;
    fixture_init(&f, sv.port, sv.port, 1);
    tdm_http1_conn_opts opts = {.read_buf = 1024, .io_timeout_ms = 2000, .blocking = true};
    tdm_h1call x;
    tdm_h1call_init(&x, &opts, NULL, NULL);
    tdm_h1call_run_blocking(&x, &f.jobs[0]);
    assert_false(x.active);
    assert_call_ok(&f.jobs[0].records[0], 20);
    assert_call_ok(&f.jobs[0].records[1], 20);
    assert_false(f.jobs[0].records[0].reused_connection);
    assert_true(f.jobs[0].records[0].connect_ns > 0);
    assert_true(f.jobs[0].records[1].reused_connection);
    tdm_http1_conn_stats st = {0};
    tdm_h1call_add_stats(&x, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.reads, f.jobs[0].records[0].reads + f.jobs[0].records[1].reads);
    tdm_h1call_cleanup(&x);
    fixture_free(&f);
    server_stop(&sv);
}

static void test_blocking_stall(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STALL, 20, 0, 0);
    fixture f;
    fixture_init(&f, sv.port, sv.port, 1);
    tdm_http1_conn_opts opts = {.read_buf = 1024, .io_timeout_ms = 400, .blocking = true};
    tdm_h1call x;
    tdm_h1call_init(&x, &opts, NULL, NULL);
    tdm_h1call_run_blocking(&x, &f.jobs[0]);
    const tdm_call_record *c = &f.jobs[0].records[0];
    assert_false(c->ok);
    assert_int_equal(c->error_kind, TDM_ERR_TIMEOUT_IDLE);
    int64_t waited = c->t_done - c->t_first_byte;
    assert_true(waited >= 300 * MS && waited < 2000 * MS);
    assert_int_equal(f.jobs[0].records[1].error_kind, TDM_ERR_SKIPPED);
    tdm_h1call_cleanup(&x);
    fixture_free(&f);
    server_stop(&sv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_agents_reuse),
        cmocka_unit_test(test_read_size),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_stall_idle_timeout),
        cmocka_unit_test(test_blocking_mode),
        cmocka_unit_test(test_blocking_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
