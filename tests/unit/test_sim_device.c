/* test_sim_device.c — the simulator's contention model (src/sim/device.c).
 *
 * A small harness plays streams of fixed-length tokens on one device and records every
 * token's due time, so the expected schedules below can be worked out by hand: alone a
 * token takes 100 ms; two streams with alpha = 1 each get half the rate; with alpha = 0
 * both keep the full rate; a stream that joins or leaves mid-token changes the others'
 * deadlines exactly at that moment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/device.h"

#define MS 1000000LL
#define TOKEN_NS (100.0 * MS)
#define MAX_TOK 64

typedef struct stream {
    tdm_sim_dev *dev;
    tdm_sim_job job;
    int want;              /* tokens to produce */
    int got;
    int64_t due[MAX_TOK];
    bool touch_nothing;    /* callback leaves the job alone (device must remove it) */
} stream;

static void on_due(void *ctx, tdm_sim_job *job, int64_t due)
{
    stream *s = ctx;
    assert_ptr_equal(job, &s->job);
    if (s->touch_nothing) {
        s->due[s->got++] = due;
        return;
    }
    assert_true(s->got < MAX_TOK);
    s->due[s->got++] = due;
    if (s->got < s->want)
        tdm_sim_dev_start(s->dev, job, due, TOKEN_NS);
    else
        tdm_sim_dev_remove(s->dev, job, due);
}

static void stream_init(stream *s, tdm_sim_dev *d, int want)
{
    memset(s, 0, sizeof *s);
    s->dev = d;
    s->want = want;
    tdm_sim_job_init(&s->job, on_due, s);
}

/* Runs the device event by event up to `until`, as the server's timer would. */
static void run_until(tdm_sim_dev *d, int64_t until)
{
    for (;;) {
        int64_t next = tdm_sim_dev_next_due(d);
        if (next > until)
            break;
        tdm_sim_dev_run(d, next);
    }
    tdm_sim_dev_run(d, until);
}

static void assert_near(int64_t got, int64_t want)
{
    /* Deadlines are rounded to whole ns once per rate change. */
    assert_true(got >= want - 2 && got <= want + 2);
}

static void test_alone_full_rate(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 10);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    run_until(&d, 10000 * MS);
    assert_int_equal(a.got, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(a.due[i], (i + 1) * 100 * MS); /* exact: no rate change */
    assert_int_equal(d.active, 0);
    assert_int_equal(tdm_sim_dev_next_due(&d), INT64_MAX);
}

static void test_two_streams_alpha1_half_rate(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, b;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 5);
    stream_init(&b, &d, 5);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_start(&d, &b.job, 0, TOKEN_NS);
    assert_true(tdm_sim_dev_slowdown(&d) == 2.0);
    run_until(&d, 10000 * MS);
    for (int i = 0; i < 5; i++) {
        assert_near(a.due[i], (i + 1) * 200 * MS);
        assert_near(b.due[i], (i + 1) * 200 * MS);
    }
    /* Ties go to the stream that joined first. */
    assert_true(a.job.seq < b.job.seq);
}

static void test_two_streams_alpha0_full_rate(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, b;
    tdm_sim_dev_init(&d, 0.0, 0);
    stream_init(&a, &d, 5);
    stream_init(&b, &d, 5);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_start(&d, &b.job, 0, TOKEN_NS);
    assert_true(tdm_sim_dev_slowdown(&d) == 1.0);
    run_until(&d, 10000 * MS);
    for (int i = 0; i < 5; i++) {
        assert_near(a.due[i], (i + 1) * 100 * MS);
        assert_near(b.due[i], (i + 1) * 100 * MS);
    }
}

static void test_partial_alpha(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream s[3];
    tdm_sim_dev_init(&d, 0.5, 0);
    for (int i = 0; i < 3; i++) {
        stream_init(&s[i], &d, 2);
        tdm_sim_dev_start(&d, &s[i].job, 0, TOKEN_NS);
    }
    /* k = 3, alpha = 0.5: each at 1/(1 + 0.5*2) = half rate. */
    assert_true(tdm_sim_dev_slowdown(&d) == 2.0);
    run_until(&d, 10000 * MS);
    for (int i = 0; i < 3; i++) {
        assert_near(s[i].due[0], 200 * MS);
        assert_near(s[i].due[1], 400 * MS);
    }
}

/* B joins halfway through A's sixth token: A's remaining 50 ms of work now takes 100 ms. */
static void test_join_halfway(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, b;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 10);
    stream_init(&b, &d, 4);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    run_until(&d, 550 * MS);
    assert_int_equal(a.got, 5);
    tdm_sim_dev_start(&d, &b.job, 550 * MS, TOKEN_NS);
    run_until(&d, 100000 * MS);
    /* A: five tokens alone; the sixth had 50 ms of work left at 550, which at half rate
     * ends at 650; then one every 200 ms (850, 1050, 1250). B: every 200 ms from 550
     * (750 ... 1350). A's tenth token shares the device from 1250 until B leaves at 1350
     * (50 ms of its work done), and its last 50 ms run alone: 1400. */
    int64_t want_a[10] = {100, 200, 300, 400, 500, 650, 850, 1050, 1250, 1400};
    int64_t want_b[4] = {750, 950, 1150, 1350};
    for (int i = 0; i < 10; i++)
        assert_near(a.due[i], want_a[i] * MS);
    for (int i = 0; i < 4; i++)
        assert_near(b.due[i], want_b[i] * MS);
}

/* A leaving mid-token speeds the other up from that moment. */
static void test_leave_midway(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, b;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 10);
    stream_init(&b, &d, 3);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_start(&d, &b.job, 0, TOKEN_NS);
    run_until(&d, 300 * MS); /* both got 1 token at 200; 50 ms of work done since */
    assert_int_equal(a.got, 1);
    tdm_sim_dev_remove(&d, &a.job, 300 * MS);
    run_until(&d, 100000 * MS);
    assert_int_equal(a.got, 1);
    assert_near(b.due[0], 200 * MS);
    assert_near(b.due[1], 350 * MS); /* 50 ms of work left at full rate */
    assert_near(b.due[2], 450 * MS);
}

/* A TIMED job (a model load) waits without slowing anyone down. */
static void test_timed_does_not_contend(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, w;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 3);
    stream_init(&w, &d, 1);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_wait(&d, &w.job, 0, 150 * MS);
    assert_int_equal(d.active, 1);
    run_until(&d, 10000 * MS);
    assert_near(a.due[0], 100 * MS);
    assert_near(a.due[1], 200 * MS);
    assert_near(a.due[2], 300 * MS);
    assert_int_equal(w.got, 1);
    assert_int_equal(w.due[0], 150 * MS);
}

/* A load that ends and turns into work joins at its exact due time. */
static void test_wait_then_start(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 3);
    tdm_sim_dev_wait(&d, &a.job, 0, 250 * MS);
    /* The harness callback restarts with a token on every due event. */
    run_until(&d, 10000 * MS);
    assert_int_equal(a.due[0], 250 * MS);
    assert_near(a.due[1], 350 * MS);
    assert_near(a.due[2], 450 * MS);
}

/* Late processing (the timer fired late) does not shift the model's times. */
static void test_late_run_keeps_ideal_times(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a, b;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 4);
    stream_init(&b, &d, 4);
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_start(&d, &b.job, 0, TOKEN_NS);
    tdm_sim_dev_run(&d, 5000 * MS); /* everything at once, long after it was due */
    for (int i = 0; i < 4; i++) {
        assert_near(a.due[i], (i + 1) * 200 * MS);
        assert_near(b.due[i], (i + 1) * 200 * MS);
    }
}

static void test_untouched_job_is_removed(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream a;
    tdm_sim_dev_init(&d, 1.0, 0);
    stream_init(&a, &d, 3);
    a.touch_nothing = true;
    tdm_sim_dev_start(&d, &a.job, 0, TOKEN_NS);
    tdm_sim_dev_run(&d, 1000 * MS);
    assert_int_equal(a.got, 1);
    assert_int_equal(a.job.state, TDM_SIM_JOB_IDLE);
    assert_int_equal(d.active, 0);
    assert_null(d.head);
}

/* Many streams with staggered joins: total work is conserved under alpha = 1 (the
 * device is never idle while someone has work, and runs at exactly full throughput). */
static void test_work_conserving(void **state)
{
    (void)state;
    tdm_sim_dev d;
    stream s[6];
    tdm_sim_dev_init(&d, 1.0, 0);
    for (int i = 0; i < 6; i++)
        stream_init(&s[i], &d, 7);
    for (int i = 0; i < 6; i++) {
        run_until(&d, i * 37 * MS);
        tdm_sim_dev_start(&d, &s[i].job, i * 37 * MS, TOKEN_NS);
    }
    run_until(&d, 1000000 * MS);
    int64_t last = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s[i].got, 7);
        if (s[i].due[6] > last)
            last = s[i].due[6];
    }
    assert_near(last, 42 * 100 * MS); /* 6 streams * 7 tokens * 100 ms, no idle time */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alone_full_rate),
        cmocka_unit_test(test_two_streams_alpha1_half_rate),
        cmocka_unit_test(test_two_streams_alpha0_full_rate),
        cmocka_unit_test(test_partial_alpha),
        cmocka_unit_test(test_join_halfway),
        cmocka_unit_test(test_leave_midway),
        cmocka_unit_test(test_timed_does_not_contend),
        cmocka_unit_test(test_wait_then_start),
        cmocka_unit_test(test_late_run_keeps_ideal_times),
        cmocka_unit_test(test_untouched_job_is_removed),
        cmocka_unit_test(test_work_conserving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
