/* test_sim_slots.c — a port's request slots and their queue (src/sim/slots.c), the slot
 * options of tandem-sim's command line, and slots and device together against the
 * analytic makespan that docs/simulator.md writes down.
 *
 * The combined harness plays what gen.c does: N requests of T tokens arrive at once on
 * P ports of one device; a request that gets a slot runs its tokens on the device, one
 * that does not waits; a finished request hands its slot to the first waiting one at
 * the same instant. With equal outputs the streams then run in waves of min(k, left)
 * per port, and the concurrent phase lasts T * tau * sum over waves of
 * (1 + A * (streams on the device - 1)). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/config.h"
#include "sim/device.h"
#include "sim/slots.h"

#define MS 1000000LL
#define TOKEN_NS (10.0 * MS)
#define MAX_REQ 64

/* ---- the queue alone ---------------------------------------------------------------- */

static void test_unlimited_never_queues(void **state)
{
    (void)state;
    tdm_sim_slots s;
    tdm_sim_slot_wait w[100];
    tdm_sim_slots_init(&s, 0);
    for (int i = 0; i < 100; i++) {
        tdm_sim_slot_wait_init(&w[i], &w[i]);
        assert_true(tdm_sim_slots_acquire(&s, &w[i], i));
    }
    assert_int_equal(s.busy, 100);
    assert_int_equal(s.waiting, 0);
    for (int i = 0; i < 100; i++)
        assert_null(tdm_sim_slots_release(&s));
    assert_int_equal(s.busy, 0);
}

static void test_negative_limit_is_unlimited(void **state)
{
    (void)state;
    tdm_sim_slots s;
    tdm_sim_slots_init(&s, -3);
    assert_int_equal(s.limit, 0);
}

static void test_fifo_handover(void **state)
{
    (void)state;
    tdm_sim_slots s;
    tdm_sim_slot_wait w[5];
    int owner[5] = {0, 1, 2, 3, 4};
    tdm_sim_slots_init(&s, 2);
    for (int i = 0; i < 5; i++)
        tdm_sim_slot_wait_init(&w[i], &owner[i]);
    assert_true(tdm_sim_slots_acquire(&s, &w[0], 10));
    assert_true(tdm_sim_slots_acquire(&s, &w[1], 11));
    for (int i = 2; i < 5; i++) {
        assert_false(tdm_sim_slots_acquire(&s, &w[i], 10 + i));
        assert_true(w[i].queued);
        assert_int_equal(w[i].t_queued, 10 + i);
        assert_int_equal(s.waiting, (size_t)(i - 1)); /* i - 2 ahead of it */
    }
    assert_int_equal(s.busy, 2);
    /* Slots pass to the waiting ones in arrival order, never freed in between. */
    for (int i = 2; i < 5; i++) {
        tdm_sim_slot_wait *next = tdm_sim_slots_release(&s);
        assert_ptr_equal(next, &w[i]);
        assert_ptr_equal(next->owner, &owner[i]);
        assert_false(next->queued);
        assert_int_equal(s.busy, 2);
    }
    assert_int_equal(s.waiting, 0);
    assert_null(tdm_sim_slots_release(&s));
    assert_int_equal(s.busy, 1);
    assert_null(tdm_sim_slots_release(&s));
    assert_int_equal(s.busy, 0);
    assert_null(tdm_sim_slots_release(&s)); /* one release too many does not underflow */
    assert_int_equal(s.busy, 0);
}

static void test_cancel_anywhere_in_queue(void **state)
{
    (void)state;
    tdm_sim_slots s;
    tdm_sim_slot_wait hold, w[4];
    tdm_sim_slots_init(&s, 1);
    tdm_sim_slot_wait_init(&hold, NULL);
    assert_true(tdm_sim_slots_acquire(&s, &hold, 0));
    for (int i = 0; i < 4; i++) {
        tdm_sim_slot_wait_init(&w[i], &w[i]);
        assert_false(tdm_sim_slots_acquire(&s, &w[i], 1));
    }
    tdm_sim_slots_cancel(&s, &w[1]); /* middle */
    tdm_sim_slots_cancel(&s, &w[3]); /* tail */
    tdm_sim_slots_cancel(&s, &w[3]); /* twice: no-op */
    tdm_sim_slots_cancel(&s, &hold); /* holds a slot, not queued: no-op */
    assert_int_equal(s.waiting, 2);
    tdm_sim_slots_cancel(&s, &w[0]); /* head */
    assert_int_equal(s.waiting, 1);
    assert_ptr_equal(tdm_sim_slots_release(&s), &w[2]);
    assert_null(tdm_sim_slots_release(&s));
    assert_int_equal(s.busy, 0);
    assert_null(s.head);
    assert_null(s.tail);
}

static void test_asking_twice_queues_once(void **state)
{
    (void)state;
    tdm_sim_slots s;
    tdm_sim_slot_wait a, b;
    tdm_sim_slots_init(&s, 1);
    tdm_sim_slot_wait_init(&a, NULL);
    tdm_sim_slot_wait_init(&b, NULL);
    assert_true(tdm_sim_slots_acquire(&s, &a, 0));
    assert_false(tdm_sim_slots_acquire(&s, &b, 1));
    assert_false(tdm_sim_slots_acquire(&s, &b, 2));
    assert_int_equal(s.waiting, 1);
    assert_int_equal(b.t_queued, 1);
}

static void test_newcomer_waits_behind_queue(void **state)
{
    (void)state;
    /* A slot handed over is never free, so a request arriving just after a release
     * cannot overtake one that waited. */
    tdm_sim_slots s;
    tdm_sim_slot_wait a, b, c;
    tdm_sim_slots_init(&s, 1);
    tdm_sim_slot_wait_init(&a, NULL);
    tdm_sim_slot_wait_init(&b, NULL);
    tdm_sim_slot_wait_init(&c, NULL);
    assert_true(tdm_sim_slots_acquire(&s, &a, 0));
    assert_false(tdm_sim_slots_acquire(&s, &b, 1));
    assert_ptr_equal(tdm_sim_slots_release(&s), &b);
    assert_false(tdm_sim_slots_acquire(&s, &c, 2));
    assert_ptr_equal(tdm_sim_slots_release(&s), &c);
}

/* ---- the command line ---------------------------------------------------------------- */

static int parse(tdm_sim_config *c, char *err, size_t errlen, int argc, char **argv)
{
    tdm_sim_config_defaults(c);
    FILE *null = fopen("/dev/null", "w");
    int r = tdm_sim_config_parse(c, argc, argv, null, err, errlen);
    fclose(null);
    return r;
}

static void test_cli_default_is_unlimited(void **state)
{
    (void)state;
    tdm_sim_config c;
    char err[256];
    char *argv[] = {"tandem-sim", "--port", "0", "--port", "0@g"};
    assert_int_equal(parse(&c, err, sizeof err, 5, argv), TDM_SIM_CLI_RUN);
    assert_int_equal(c.ports[0].num_parallel, 0);
    assert_int_equal(c.ports[1].num_parallel, 0);
    assert_string_equal(c.ports[1].device, "g");
}

static void test_cli_per_port_and_global(void **state)
{
    (void)state;
    tdm_sim_config c;
    char err[256];
    /* --num-parallel applies to ports that name no count, before or after it. */
    char *argv[] = {"tandem-sim", "--port", "11434:4", "--port", "0@gpu0:1", "--port", "0@gpu0",
                    "--num-parallel", "2", "--port", "7:0", "--port", "8",
                    "--fault", "11434:stall:3"};
    assert_int_equal(parse(&c, err, sizeof err, 15, argv), TDM_SIM_CLI_RUN);
    assert_int_equal(c.nports, 5);
    assert_int_equal(c.ports[0].port, 11434);
    assert_int_equal(c.ports[0].num_parallel, 4);
    assert_string_equal(c.ports[0].device, "dev0");
    assert_int_equal(c.ports[0].faults.stall, 3);
    assert_int_equal(c.ports[1].num_parallel, 1);
    assert_string_equal(c.ports[1].device, "gpu0");
    assert_int_equal(c.ports[2].num_parallel, 2);
    assert_string_equal(c.ports[2].device, "gpu0");
    assert_int_equal(c.ports[3].num_parallel, 0);
    assert_int_equal(c.ports[4].num_parallel, 2);
    char *argv2[] = {"tandem-sim", "--num-parallel=3"};
    assert_int_equal(parse(&c, err, sizeof err, 2, argv2), TDM_SIM_CLI_RUN);
    assert_int_equal(c.ports[0].port, 11434);
    assert_int_equal(c.ports[0].num_parallel, 3);
}

static void test_cli_bad_counts(void **state)
{
    (void)state;
    static const char *bad_port[] = {"0:", "0:x", "0:-1", "0:65537", "0@g:1:2", ":2", "0@:2"};
    tdm_sim_config c;
    char err[256];
    for (size_t i = 0; i < sizeof bad_port / sizeof bad_port[0]; i++) {
        char *argv[] = {"tandem-sim", "--port", (char *)bad_port[i]};
        err[0] = '\0';
        assert_int_equal(parse(&c, err, sizeof err, 3, argv), TDM_SIM_CLI_ERROR);
        assert_non_null(strstr(err, "--port"));
    }
    static const char *bad_k[] = {"-1", "x", "", "1.5", "65537"};
    for (size_t i = 0; i < sizeof bad_k / sizeof bad_k[0]; i++) {
        char *argv[] = {"tandem-sim", "--num-parallel", (char *)bad_k[i]};
        err[0] = '\0';
        assert_int_equal(parse(&c, err, sizeof err, 3, argv), TDM_SIM_CLI_ERROR);
        assert_non_null(strstr(err, "--num-parallel"));
        assert_non_null(strstr(err, "0 (no limit)"));
    }
    char *argv[] = {"tandem-sim", "--num-parallel"};
    assert_int_equal(parse(&c, err, sizeof err, 2, argv), TDM_SIM_CLI_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    char longspec[300];
    memset(longspec, '1', sizeof longspec - 1);
    longspec[sizeof longspec - 1] = '\0';
    char *argv3[] = {"tandem-sim", "--port", longspec};
    assert_int_equal(parse(&c, err, sizeof err, 3, argv3), TDM_SIM_CLI_ERROR);
}

/* ---- slots and device together ------------------------------------------------------- */

typedef struct port port;
typedef struct req {
    tdm_sim_job job;
    tdm_sim_slot_wait wait;
    port *port;
    int left;             /* tokens still to make */
    int64_t t_start;      /* when it got its slot */
    int64_t t_end;
} req;

struct port {
    tdm_sim_dev *dev;
    tdm_sim_slots slots;
};

static void begin(req *r, int64_t t)
{
    r->t_start = t;
    tdm_sim_dev_start(r->port->dev, &r->job, t, TOKEN_NS);
}

static void on_token(void *ctx, tdm_sim_job *job, int64_t due)
{
    req *r = ctx;
    if (--r->left > 0) {
        tdm_sim_dev_start(r->port->dev, job, due, TOKEN_NS);
        return;
    }
    r->t_end = due;
    tdm_sim_dev_remove(r->port->dev, job, due);
    tdm_sim_slot_wait *next = tdm_sim_slots_release(&r->port->slots);
    if (next)
        begin(next->owner, due);
}

static void run_all(tdm_sim_dev *d)
{
    for (int guard = 0; guard < 1000000; guard++) {
        int64_t next = tdm_sim_dev_next_due(d);
        if (next == INT64_MAX)
            return;
        tdm_sim_dev_run(d, next);
    }
    fail_msg("the device never went idle");
}

/* The analytic makespan, in tokens times tau: n requests spread evenly over `ports`
 * ports of one device, k slots each (0: no limit). */
static double expected_waves(int n, int ports, int k, double alpha)
{
    int per_port = n / ports;
    int kk = k == 0 ? per_port : k;
    double sum = 0;
    for (int left = per_port; left > 0; left -= kk) {
        int m = left < kk ? left : kk;
        sum += 1.0 + alpha * (double)(ports * m - 1);
    }
    return sum;
}

/* Plays n requests of `tokens` tokens arriving at t = 0 on `ports` ports (round robin)
 * of one device with k slots each; returns the makespan in ns. */
static int64_t play(int n, int ports, int k, double alpha, int tokens, req *r)
{
    tdm_sim_dev d;
    port p[8];
    tdm_sim_dev_init(&d, alpha, 0);
    for (int i = 0; i < ports; i++) {
        p[i].dev = &d;
        tdm_sim_slots_init(&p[i].slots, k);
    }
    for (int i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].port = &p[i % ports];
        r[i].left = tokens;
        tdm_sim_job_init(&r[i].job, on_token, &r[i]);
        tdm_sim_slot_wait_init(&r[i].wait, &r[i]);
        if (tdm_sim_slots_acquire(&r[i].port->slots, &r[i].wait, 0))
            begin(&r[i], 0);
    }
    run_all(&d);
    int64_t end = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(r[i].left, 0);
        if (r[i].t_end > end)
            end = r[i].t_end;
    }
    for (int i = 0; i < ports; i++) {
        assert_int_equal(p[i].slots.busy, 0);
        assert_int_equal(p[i].slots.waiting, 0);
    }
    return end;
}

static void assert_close(double got, double want)
{
    /* Deadlines are rounded to whole ns once per rate change. */
    if (fabs(got - want) > 1000.0)
        fail_msg("makespan %.0f ns, formula %.0f ns", got, want);
}

static void test_waves_match_formula_one_port(void **state)
{
    (void)state;
    static const int ns[] = {1, 2, 3, 4, 5, 8, 13};
    static const int ks[] = {0, 1, 2, 3, 4, 8};
    static const double alphas[] = {0.0, 0.25, 0.5, 1.0};
    req r[MAX_REQ];
    const int tokens = 7;
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++)
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
            for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
                int64_t got = play(ns[i], 1, ks[j], alphas[a], tokens, r);
                double want = tokens * TOKEN_NS * expected_waves(ns[i], 1, ks[j], alphas[a]);
                assert_close((double)got, want);
                /* Efficiency T_seq / T_conc / N = 1 / sum of wave factors. */
                double eff = (double)ns[i] * tokens * TOKEN_NS / (double)got / ns[i];
                assert_true(fabs(eff - 1.0 / expected_waves(ns[i], 1, ks[j], alphas[a])) < 1e-6);
            }
}

static void test_waves_match_formula_shared_device(void **state)
{
    (void)state;
    /* Two ports on one device: every wave has twice the streams on the device. */
    req r[MAX_REQ];
    for (int n = 2; n <= 16; n *= 2)
        for (int k = 0; k <= 4; k++) {
            int64_t got = play(n, 2, k, 0.5, 5, r);
            assert_close((double)got, 5 * TOKEN_NS * expected_waves(n, 2, k, 0.5));
        }
}

static void test_queued_start_when_a_slot_frees(void **state)
{
    (void)state;
    /* 5 requests, 2 slots, alpha 0: starts at 0, 0, T, T, 2T. */
    req r[MAX_REQ];
    const int tokens = 3;
    int64_t end = play(5, 1, 2, 0.0, tokens, r);
    int64_t wave = (int64_t)(tokens * TOKEN_NS);
    int64_t want[5] = {0, 0, wave, wave, 2 * wave};
    for (int i = 0; i < 5; i++)
        assert_int_equal(r[i].t_start, want[i]);
    assert_int_equal(end, 3 * wave);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlimited_never_queues),
        cmocka_unit_test(test_negative_limit_is_unlimited),
        cmocka_unit_test(test_fifo_handover),
        cmocka_unit_test(test_cancel_anywhere_in_queue),
        cmocka_unit_test(test_asking_twice_queues_once),
        cmocka_unit_test(test_newcomer_waits_behind_queue),
        cmocka_unit_test(test_cli_default_is_unlimited),
        cmocka_unit_test(test_cli_per_port_and_global),
        cmocka_unit_test(test_cli_bad_counts),
        cmocka_unit_test(test_waves_match_formula_one_port),
        cmocka_unit_test(test_waves_match_formula_shared_device),
        cmocka_unit_test(test_queued_start_when_a_slot_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
