/* test_reactorcurl_driver.c — libcurl multi_socket on the tandem reactor (the smol and
 * curl-1kb loop), end to end against a small streaming NDJSON server on 127.0.0.1:0 in
 * threads of its own: two agents of two steps each over two phases (one multi handle,
 * each agent's easy handle keeping its connection), a refused connection (connect error
 * naming the fix, next step skipped) and a stalled stream (idle timeout from the
 * periodic check). Each test ends by checking that curl's sockets and timer left the
 * reactor. How a release starts (src/curl/multi.c, shared with the libuv driver): the
 * requests of all jobs added are written by one kick, before the reactor turns, and
 * every agent's connection survives phases in which the agents ran one at a time. */
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
#include <curl/curl.h>

#include "core/clock.h"
#include "core/job.h"
#include "core/scenario.h"
#include "reactor/reactor.h"
#include "curl/transfer.h"
#include "reactorcurl/driver.h"

#include "support/test_server.h"

#define MS 1000000LL

static void run_reactor(fixture *f, long buffer, int rearm_runs)
{
    tdm_reactor *r = tdm_reactor_create();
    assert_non_null(r);
    tdm_reactorcurl *d = tdm_reactorcurl_create(r, buffer, f->s.n_agents);
    assert_non_null(d);
    for (int k = 0; k <= rearm_runs; k++) {
        if (k > 0)
            fixture_rearm(f);
        int64_t now = tdm_now_ns();
        for (size_t i = 0; i < f->n_jobs; i++)
            assert_int_equal(tdm_reactorcurl_add_job(d, &f->jobs[i], now), 0);
        assert_int_equal(tdm_reactorcurl_run(d), 0);
        assert_int_equal(tdm_reactorcurl_active(d), 0);
    }
    tdm_reactorcurl_destroy(d);
    /* curl's sockets and its timer are gone from the reactor. */
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
    run_reactor(&f, TDM_CURL_DEFAULT_BUFFER, 1); /* two phases over the same easy handles */
    for (size_t i = 0; i < 2; i++) {
        tdm_agent_job *j = &f.jobs[i];
        assert_call_ok(&j->records[0], 20);
        assert_call_ok(&j->records[1], 20);
        assert_true(j->records[0].reused_connection);
        assert_true(j->records[1].reused_connection);
        assert_true(j->t_end >= j->t_begin && j->t_end > 0);
    }
    assert_int_equal(atomic_load(&sv.requests), 8);
    /* {previous} carried the first step's text into the second request. */
    assert_true(f.jobs[0].records[1].request_bytes > f.jobs[0].records[0].request_bytes);
    fixture_free(&f);
    server_stop(&sv);
}

static void test_refused(void **state)
{
    (void)state;
    uint16_t port;
    int fd = bind_local(&port); /* bound, never listening: connections are refused */
    fixture f;
    fixture_init(&f, port, port, 1);
    run_reactor(&f, 1024, 0);
    const tdm_call_record *c = &f.jobs[0].records[0];
    assert_false(c->ok);
    assert_int_equal(c->error_kind, TDM_ERR_CONNECT);
    assert_non_null(strstr(c->error_message, "ollama serve"));
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
    run_reactor(&f, TDM_CURL_DEFAULT_BUFFER, 0);
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

static void test_kick_writes_every_request_at_once(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STREAM, 5, 0, 0);
    fixture f;
    fixture_init(&f, sv.port, sv.port, 2);
    tdm_reactor *r = tdm_reactor_create();
    assert_non_null(r);
    tdm_reactorcurl *d = tdm_reactorcurl_create(r, TDM_CURL_DEFAULT_BUFFER, f.s.n_agents);
    assert_non_null(d);
    for (int phase = 0; phase < 2; phase++) {
        if (phase > 0)
            fixture_rearm(&f);
        int64_t now = tdm_now_ns();
        for (size_t i = 0; i < f.n_jobs; i++)
            assert_int_equal(tdm_reactorcurl_add_job(d, &f.jobs[i], now), 0);
        if (phase > 0) {
            /* On the connections kept from the first phase, the kick alone starts both
             * requests: no loop turn (and no timer) between the release and the writes. */
            uint64_t wakeups = tdm_reactor_wakeups(r);
            tdm_reactorcurl_kick(d);
            assert_int_equal(tdm_reactor_wakeups(r), wakeups);
            for (size_t i = 0; i < f.n_jobs; i++)
                assert_true(f.jobs[i].records[0].t_start > 0);
        }
        assert_int_equal(tdm_reactorcurl_run(d), 0);
    }
    for (size_t i = 0; i < f.n_jobs; i++) {
        assert_call_ok(&f.jobs[i].records[0], 5);
        assert_call_ok(&f.jobs[i].records[1], 5);
        assert_true(f.jobs[i].records[0].reused_connection);
    }
    tdm_reactorcurl_destroy(d);
    tdm_reactor_destroy(r);
    fixture_free(&f);
    server_stop(&sv);
}

/* n one-step agents on one port, each job with fresh records. */
#define MANY 6
typedef struct many {
    tdm_scenario s;
    tdm_agent_job jobs[MANY];
    tdm_call_record recs[MANY];
} many;

static void many_init(many *m, uint16_t port)
{
    tdm_buf y = {0};
    tdm_buf_printf(&y, "name: many\nwarmup: false\ndefaults: {model: m}\nagents:\n");
    for (int i = 0; i < MANY; i++)
        tdm_buf_printf(&y, "  - {name: a%d, url: 'http://127.0.0.1:%u', steps: [{prompt: p%d}]}\n", i, (unsigned)port, i);
    char err[512];
    memset(m, 0, sizeof *m);
    assert_int_equal(tdm_scenario_load_string(y.data, y.len, "test", &m->s, err, sizeof err), 0);
    tdm_buf_free(&y);
}

static void many_phase(many *m, tdm_phase phase)
{
    for (int i = 0; i < MANY; i++) {
        tdm_record_free(&m->recs[i]);
        tdm_record_init(&m->recs[i], 1, phase, i, 0);
        tdm_job_init(&m->jobs[i], &m->s, i, false, &m->recs[i], 1);
    }
}

static void many_free(many *m)
{
    for (int i = 0; i < MANY; i++)
        tdm_record_free(&m->recs[i]);
    tdm_scenario_free(&m->s);
}

/* libcurl's default cache keeps 4 idle connections per easy handle added: with one agent
 * at a time (the warm-up and the sequential phase) it closed all but 4, and the next
 * concurrent phase connected again after its barrier. Every agent's must survive. */
static void test_connections_survive_agents_alone(void **state)
{
    (void)state;
    server sv;
    server_start(&sv, MODE_STREAM, 3, 0, 0);
    many m;
    many_init(&m, sv.port);
    tdm_reactor *r = tdm_reactor_create();
    assert_non_null(r);
    tdm_reactorcurl *d = tdm_reactorcurl_create(r, TDM_CURL_DEFAULT_BUFFER, MANY);
    assert_non_null(d);
    for (int round = 0; round < 2; round++) {
        many_phase(&m, TDM_PHASE_CONCURRENT); /* all together: MANY connections busy at once */
        int64_t now = tdm_now_ns();
        for (int i = 0; i < MANY; i++)
            assert_int_equal(tdm_reactorcurl_add_job(d, &m.jobs[i], now), 0);
        assert_int_equal(tdm_reactorcurl_run(d), 0);
        for (int i = 0; i < MANY; i++) {
            assert_call_ok(&m.recs[i], 3);
            if (round > 0)
                assert_true(m.recs[i].reused_connection);
        }
        if (round > 0)
            break;
        many_phase(&m, TDM_PHASE_SEQUENTIAL); /* then each alone */
        for (int i = 0; i < MANY; i++) {
            assert_int_equal(tdm_reactorcurl_add_job(d, &m.jobs[i], tdm_now_ns()), 0);
            assert_int_equal(tdm_reactorcurl_run(d), 0);
            assert_call_ok(&m.recs[i], 3);
        }
    }
    pthread_mutex_lock(&sv.mu);
    assert_int_equal(sv.n_conns, MANY); /* connected once each, in the first phase */
    pthread_mutex_unlock(&sv.mu);
    tdm_reactorcurl_destroy(d);
    tdm_reactor_destroy(r);
    many_free(&m);
    server_stop(&sv);
}

static int setup(void **state)
{
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_agents_reuse),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_stall_idle_timeout),
        cmocka_unit_test(test_kick_writes_every_request_at_once),
        cmocka_unit_test(test_connections_survive_agents_alone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
