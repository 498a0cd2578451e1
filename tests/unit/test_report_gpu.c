/* test_report_gpu.c — a run's GPU numbers as the report places them (src/report/gpu.c):
 * the phase spans and server-counted tokens taken from the records, and a gpu.csv read
 * over those spans into utilisation, energy and J per output token. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/gpu_samples.h"
#include "core/rundata.h"
#include "report/gpu.h"

#define S 1000000000LL

/* Two agents. Alone: agent 1 from 10 s to 12 s, then agent 0 from 12.5 s to 14 s: the
 * sequential span is 10 .. 14 s. Together: released at 15 s, ending at 17 s and 18 s: the
 * concurrent span is 15 .. 18 s. Tokens (eval_count): sequential 30 + 50, concurrent 40 +
 * 60 + a call without the server's final line (not counted); warm-up calls never count. */
static void make_run(tdm_run_data *d)
{
    char *names[] = {"a", "b"};
    assert_int_equal(tdm_run_data_init(d, 1, 2, names), 0);
    d->has_sequential = d->has_concurrent = true;
    d->seq[1] = (tdm_agent_timing){10 * S, 10 * S + 1000, 12 * S};
    d->seq[0] = (tdm_agent_timing){25 * S / 2, 25 * S / 2 + 1000, 14 * S};
    d->conc[0] = (tdm_agent_timing){15 * S, 15 * S + 1000, 17 * S};
    d->conc[1] = (tdm_agent_timing){15 * S, 15 * S + 2000, 18 * S};
    static const struct {
        tdm_phase ph;
        int agent;
        bool final;
        int64_t eval;
    } calls[] = {{TDM_PHASE_WARMUP, 0, true, 7},      {TDM_PHASE_SEQUENTIAL, 1, true, 30},
                 {TDM_PHASE_SEQUENTIAL, 0, true, 50}, {TDM_PHASE_CONCURRENT, 0, true, 40},
                 {TDM_PHASE_CONCURRENT, 1, true, 60}, {TDM_PHASE_CONCURRENT, 1, false, 99}};
    size_t n = sizeof calls / sizeof calls[0];
    tdm_call_record *recs = calloc(n, sizeof *recs);
    assert_non_null(recs);
    for (size_t i = 0; i < n; i++) {
        tdm_record_init(&recs[i], 1, calls[i].ph, calls[i].agent, 0);
        recs[i].have_final = calls[i].final;
        recs[i].server.eval_count = calls[i].eval;
        recs[i].ok = true;
    }
    assert_int_equal(tdm_run_data_take_calls(d, recs, n), 0);
    free(recs);
}

static void test_spans_and_tokens(void **state)
{
    (void)state;
    tdm_run_data d;
    make_run(&d);
    tdm_rep_gpu_run g = {0};
    tdm_rep_gpu_spans(&g, &d);
    assert_int_equal(g.span_ns[TDM_REP_SEQ][0], 10 * S);
    assert_int_equal(g.span_ns[TDM_REP_SEQ][1], 14 * S);
    assert_int_equal(g.span_ns[TDM_REP_CONC][0], 15 * S);
    assert_int_equal(g.span_ns[TDM_REP_CONC][1], 18 * S);
    assert_int_equal(g.tokens[TDM_REP_SEQ], 80);
    assert_int_equal(g.tokens[TDM_REP_CONC], 100);
    tdm_run_data_free(&d);
}

/* Samples every 0.5 s from 9 s to 19 s: 200 W and 40% up to 14 s, 300 W and 90% from
 * 15 s (a line between 14 and 15 s, outside both spans). Sequential: 200 W x 4 s = 800 J,
 * 800 / 80 = 10 J/token; concurrent: 300 W x 3 s = 900 J, 900 / 100 = 9 J/token. */
static void test_read_gpu_csv(void **state)
{
    (void)state;
    char path[] = "/tmp/tdm-test-gpu-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", TDM_GPU_SAMPLES_HEADER);
    for (int64_t t = 9 * S; t <= 19 * S; t += S / 2) {
        bool conc = t >= 15 * S;
        fprintf(f, "%lld,0,%d,100,%d.000,1500,55,\n", (long long)t, conc ? 90 : 40, conc ? 300 : 200);
    }
    fclose(f);
    tdm_run_data d;
    make_run(&d);
    tdm_rep_gpu_run g = {0};
    tdm_rep_gpu_spans(&g, &d);
    char err[512];
    assert_int_equal(tdm_rep_gpu_read(&g, path, err, sizeof err), 0);
    assert_true(g.has_file);
    assert_string_equal(g.path, path);
    assert_int_equal(g.n_gpus, 1);
    assert_true(fabs(g.energy_j[TDM_REP_SEQ] - 800.0) < 1e-9);
    assert_true(fabs(g.energy_j[TDM_REP_CONC] - 900.0) < 1e-9);
    assert_true(fabs(g.j_per_token[TDM_REP_SEQ] - 10.0) < 1e-12);
    assert_true(fabs(g.j_per_token[TDM_REP_CONC] - 9.0) < 1e-12);
    assert_true(fabs(g.util_pct[TDM_REP_SEQ] - 40.0) < 1e-9);
    assert_true(fabs(g.util_pct[TDM_REP_CONC] - 90.0) < 1e-9);
    assert_int_equal(g.method[TDM_REP_SEQ], TDM_GPU_ENERGY_TRAPEZOID);
    assert_int_equal(g.n_samples[TDM_REP_SEQ], 9); /* 10, 10.5, ..., 14 s */
    /* a damaged file: an error naming it; the run keeps its path but no GPU numbers */
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n1,0,x,1,1,1,1,1\n", TDM_GPU_SAMPLES_HEADER);
    fclose(f);
    tdm_rep_gpu_run h = {0};
    tdm_rep_gpu_spans(&h, &d);
    assert_int_equal(tdm_rep_gpu_read(&h, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 2"));
    assert_false(h.has_file);
    free(h.path);
    free(g.path);
    unlink(path);
    tdm_run_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans_and_tokens),
        cmocka_unit_test(test_read_gpu_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
