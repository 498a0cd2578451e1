/* test_core_gpu_samples.c — gpu.csv parsing and a span's utilisation and energy
 * (src/core/gpu_samples.c), against values worked out by hand in the comments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/gpu_samples.h"

#define S 1000000000LL /* ns per second */
#define HDR TDM_GPU_SAMPLES_HEADER "\n"

static void assert_close(double got, double want)
{
    if (fabs(got - want) > 1e-9 * fmax(1.0, fabs(want))) {
        print_error("got %.17g, want %.17g\n", got, want);
        fail();
    }
}

static void parse_ok(const char *text, tdm_gpu_samples *s)
{
    char err[512] = "";
    int rc = tdm_gpu_samples_parse(text, strlen(text), "x/gpu.csv", s, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

/* A file of one GPU sampled every step_ns from t_start, with power p(i), util u(i) and,
 * when counter is set, the energy counter of the exact integral of p (for a linear p the
 * trapezoid is exact, so the counter is that sum). */
static char *series_csv(int64_t t_start, int64_t step_ns, int n, double p0, double dp, double u0, double du,
                        bool counter)
{
    tdm_buf b = {0};
    tdm_buf_append_str(&b, HDR);
    double e_mj = 5000.0; /* the counter starts anywhere */
    for (int i = 0; i < n; i++) {
        double p = p0 + dp * i, u = u0 + du * i;
        if (i > 0)
            e_mj += 0.5 * (p + p0 + dp * (i - 1)) * (double)step_ns / 1e9 * 1000.0;
        tdm_buf_printf(&b, "%lld,0,%.6f,1000,%.3f,1980,60,", (long long)(t_start + i * step_ns), u, p);
        if (counter)
            tdm_buf_printf(&b, "%.3f", e_mj);
        tdm_buf_append_str(&b, "\n");
    }
    return tdm_buf_steal(&b);
}

/* Constant 100 W sampled every 100 ms over 0..3 s; the span 0.5 s .. 2.5 s holds
 * 100 W x 2 s = 200 J whichever way it is measured; utilisation constant 40%. The span
 * holds the samples at 0.5, 0.6, ..., 2.5 s: 21. */
static void test_constant_power(void **state)
{
    (void)state;
    for (int counter = 0; counter < 2; counter++) {
        char *csv = series_csv(0, S / 10, 31, 100, 0, 40, 0, counter);
        tdm_gpu_samples s;
        parse_ok(csv, &s);
        assert_int_equal(s.n, 31);
        assert_int_equal(s.n_gpus, 1);
        tdm_gpu_span sp;
        assert_int_equal(tdm_gpu_span_compute(&s, S / 2, 5 * S / 2, &sp), 0);
        assert_close(sp.energy_j, 200.0);
        assert_close(sp.util_pct, 40.0);
        assert_int_equal(sp.n_samples, 21);
        assert_int_equal(sp.method, counter ? TDM_GPU_ENERGY_COUNTER : TDM_GPU_ENERGY_TRAPEZOID);
        assert_int_equal(sp.reason, TDM_GPU_OK);
        assert_close(sp.gpu[0].interval_s, 0.1);
        tdm_gpu_samples_free(&s);
        free(csv);
    }
}

/* A ramp sampled every second at 0..4 s: power 100 + 50 t W, utilisation 10 t %.
 * Span 1 s .. 3 s: energy = int_1^3 (100 + 50 t) dt = 100 x 2 + 25 x (9 - 1) = 400 J;
 * utilisation = int_1^3 10 t dt / 2 = 5 x (9 - 1) / 2 = 20%. The counter written beside it
 * holds the running trapezoid sums (exact for a line): E = 0, 125, 300, 525, 800 J above its
 * start at 0..4 s, so E(3) - E(1) = 525 - 125 = 400 J: both methods agree. */
static void test_ramp_counter_and_trapezoid_agree(void **state)
{
    (void)state;
    char *with = series_csv(10 * S, S, 5, 100, 50, 0, 10, true);
    char *without = series_csv(10 * S, S, 5, 100, 50, 0, 10, false);
    tdm_gpu_samples a, b;
    parse_ok(with, &a);
    parse_ok(without, &b);
    tdm_gpu_span sa, sb;
    assert_int_equal(tdm_gpu_span_compute(&a, 11 * S, 13 * S, &sa), 0);
    assert_int_equal(tdm_gpu_span_compute(&b, 11 * S, 13 * S, &sb), 0);
    assert_int_equal(sa.method, TDM_GPU_ENERGY_COUNTER);
    assert_int_equal(sb.method, TDM_GPU_ENERGY_TRAPEZOID);
    assert_close(sa.energy_j, 400.0);
    assert_close(sb.energy_j, 400.0);
    assert_close(sa.util_pct, 20.0);
    assert_close(sb.util_pct, 20.0);
    assert_int_equal(sa.n_samples, 3);
    /* ends between samples, 0.5 .. 3.5 s: the trapezoid is exact for a line:
     * 100 x 3 + 25 x (3.5^2 - 0.5^2) = 300 + 300 = 600 J. The counter is interpolated
     * linearly between its samples: E(0.5) = 62.5, E(3.5) = 525 + 0.5 x 275 = 662.5,
     * difference 600 J as well. */
    assert_int_equal(tdm_gpu_span_compute(&a, 21 * S / 2, 27 * S / 2, &sa), 0);
    assert_int_equal(tdm_gpu_span_compute(&b, 21 * S / 2, 27 * S / 2, &sb), 0);
    assert_close(sb.energy_j, 600.0);
    assert_close(sa.energy_j, 662.5 - 62.5);
    /* utilisation over 0.5 .. 3.5 s: 10 x (3.5^2 - 0.5^2) / 2 / 3 = 10 x 12 / 6 = 20% */
    assert_close(sb.util_pct, 20.0);
    tdm_gpu_samples_free(&a);
    tdm_gpu_samples_free(&b);
    free(with);
    free(without);
}

/* Empty values: a missing energy_mj in the span sends the energy to the trapezoid; a
 * missing util_pct is left out of the mean (the line through its neighbours). */
static void test_missing_values(void **state)
{
    (void)state;
    const char *csv = HDR "0,0,50,1,100.000,1,1,0\n"
                          "1000000000,0,,1,100.000,1,1,100000\n"
                          "2000000000,0,50,1,100.000,1,1,\n"
                          "3000000000,0,50,1,100.000,1,1,300000\n";
    tdm_gpu_samples s;
    parse_ok(csv, &s);
    assert_true(isnan(s.s[1].util_pct));
    assert_true(isnan(s.s[2].energy_mj));
    tdm_gpu_span sp;
    /* 0 .. 3 s at 100 W: 300 J by the trapezoid (the counter, were it used, says 300 too) */
    assert_int_equal(tdm_gpu_span_compute(&s, 0, 3 * S, &sp), 0);
    assert_int_equal(sp.method, TDM_GPU_ENERGY_TRAPEZOID);
    assert_close(sp.energy_j, 300.0);
    assert_close(sp.util_pct, 50.0);
    /* 0 .. 1 s: every sample from the one at 0 to the one at 1 s has the counter: 100 J */
    assert_int_equal(tdm_gpu_span_compute(&s, 0, S, &sp), 0);
    assert_int_equal(sp.method, TDM_GPU_ENERGY_COUNTER);
    assert_close(sp.energy_j, 100.0);
    /* no power and no counter at all: no energy, utilisation still measured */
    const char *nopower = HDR "0,0,30,,,,,\n1000000000,0,30,,,,,\n2000000000,0,30,,,,,\n";
    tdm_gpu_samples n;
    parse_ok(nopower, &n);
    assert_int_equal(tdm_gpu_span_compute(&n, 0, 2 * S, &sp), 0);
    assert_true(isnan(sp.energy_j));
    assert_int_equal(sp.reason, TDM_GPU_NO_POWER);
    assert_int_equal(sp.method, TDM_GPU_ENERGY_NONE);
    assert_close(sp.util_pct, 30.0);
    tdm_gpu_samples_free(&s);
    tdm_gpu_samples_free(&n);
}

/* A counter that goes back (driver reloaded) is not used. 0..2 s at 50 W = 100 J. */
static void test_counter_reset(void **state)
{
    (void)state;
    const char *csv = HDR "0,0,1,1,50,1,1,900000\n1000000000,0,1,1,50,1,1,10\n2000000000,0,1,1,50,1,1,50010\n";
    tdm_gpu_samples s;
    parse_ok(csv, &s);
    tdm_gpu_span sp;
    assert_int_equal(tdm_gpu_span_compute(&s, 0, 2 * S, &sp), 0);
    assert_int_equal(sp.method, TDM_GPU_ENERGY_TRAPEZOID);
    assert_close(sp.energy_j, 100.0);
    tdm_gpu_samples_free(&s);
}

/* Samples every 1 s over 10..14 s. Coverage: ends within 2 intervals (2 s) of the samples
 * are held at the end value; beyond that there is no energy, and the reason says which end. */
static void test_span_outside_samples(void **state)
{
    (void)state;
    char *csv = series_csv(10 * S, S, 5, 100, 0, 60, 0, false);
    tdm_gpu_samples s;
    parse_ok(csv, &s);
    tdm_gpu_span sp;
    /* 8.5 .. 14 s: starts 1.5 s before the first sample: covered, 100 W x 5.5 s = 550 J */
    assert_int_equal(tdm_gpu_span_compute(&s, 17 * S / 2, 14 * S, &sp), 0);
    assert_close(sp.energy_j, 550.0);
    /* 7 .. 12 s: 3 s before the first sample */
    assert_int_equal(tdm_gpu_span_compute(&s, 7 * S, 12 * S, &sp), 0);
    assert_true(isnan(sp.energy_j) && isnan(sp.util_pct));
    assert_int_equal(sp.reason, TDM_GPU_START_UNCOVERED);
    /* 12 .. 17 s: 3 s after the last one */
    assert_int_equal(tdm_gpu_span_compute(&s, 12 * S, 17 * S, &sp), 0);
    assert_int_equal(sp.reason, TDM_GPU_END_UNCOVERED);
    assert_true(isnan(sp.energy_j));
    /* entirely after the samples */
    assert_int_equal(tdm_gpu_span_compute(&s, 100 * S, 110 * S, &sp), 0);
    assert_int_equal(sp.reason, TDM_GPU_END_UNCOVERED);
    assert_int_equal(sp.n_samples, 0);
    /* an empty span */
    assert_int_equal(tdm_gpu_span_compute(&s, 12 * S, 12 * S, &sp), 0);
    assert_int_equal(sp.reason, TDM_GPU_EMPTY_SPAN);
    assert_string_equal(tdm_gpu_energy_method_name(sp.method), "none");
    assert_non_null(strstr(tdm_gpu_reason_text(TDM_GPU_START_UNCOVERED), "start"));
    tdm_gpu_samples_free(&s);
    free(csv);
    /* a header-only file: no samples */
    tdm_gpu_samples e;
    parse_ok(HDR, &e);
    assert_int_equal(e.n, 0);
    assert_int_equal(tdm_gpu_span_compute(&e, 0, S, &sp), 0);
    assert_int_equal(sp.reason, TDM_GPU_NO_SAMPLES);
    assert_true(isnan(sp.energy_j));
    tdm_gpu_samples_free(&e);
    /* one sample only: no interval */
    parse_ok(HDR "5,0,1,1,1,1,1,\n", &e);
    assert_int_equal(tdm_gpu_span_compute(&e, 0, S, &sp), 0);
    assert_int_equal(sp.reason, TDM_GPU_NO_SAMPLES);
    tdm_gpu_samples_free(&e);
}

/* Two GPUs: energy sums (100 W + 200 W over 2 s = 600 J), utilisation is their mean
 * ((20 + 60) / 2 = 40%); the counter on GPU 0 and the trapezoid on GPU 1 is "mixed". */
static void test_two_gpus(void **state)
{
    (void)state;
    tdm_buf b = {0};
    tdm_buf_append_str(&b, HDR);
    for (int i = 0; i <= 4; i++) {
        tdm_buf_printf(&b, "%lld,0,20,1,100.000,1,1,%d\n", (long long)i * S, 100000 * i);
        tdm_buf_printf(&b, "%lld,1,60,1,200.000,1,1,\n", (long long)i * S + 1000);
    }
    tdm_gpu_samples s;
    parse_ok(tdm_buf_str(&b), &s);
    assert_int_equal(s.n_gpus, 2);
    tdm_gpu_span sp;
    assert_int_equal(tdm_gpu_span_compute(&s, S, 3 * S, &sp), 0);
    assert_int_equal(sp.n_gpus, 2);
    assert_close(sp.gpu[0].energy_j, 200.0);
    assert_close(sp.gpu[1].energy_j, 400.0);
    assert_close(sp.energy_j, 600.0);
    assert_close(sp.util_pct, 40.0);
    assert_int_equal(sp.gpu[0].method, TDM_GPU_ENERGY_COUNTER);
    assert_int_equal(sp.gpu[1].method, TDM_GPU_ENERGY_TRAPEZOID);
    assert_int_equal(sp.method, TDM_GPU_ENERGY_MIXED);
    tdm_gpu_samples_free(&s);
    tdm_buf_free(&b);
}

/* Malformed files are errors naming the file and the line, with the fix. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *line;
        const char *what;
    } cases[] = {
        {"", "line 1", "empty"},
        {"t,gpu\n", "line 1", "header"},
        {TDM_GPU_SAMPLES_HEADER "\r\n", "line 1", "header"},
        {HDR "1,0,1,1,1,1,1\n", "line 2", "7 fields"},
        {HDR "1,0,1,1,1,1,1,1,1\n", "line 2", "more than 8"},
        {HDR "1,0,1,1,1,1,1,1\n\n2,0,1,1,1,1,1,1\n", "line 3", "empty line"},
        {HDR "x,0,1,1,1,1,1,1\n", "line 2", "t_mono_ns"},
        {HDR "-1,0,1,1,1,1,1,1\n", "line 2", "t_mono_ns"},
        {HDR ",0,1,1,1,1,1,1\n", "line 2", "t_mono_ns"},
        {HDR "99999999999999999999,0,1,1,1,1,1,1\n", "line 2", "t_mono_ns"},
        {HDR "1,64,1,1,1,1,1,1\n", "line 2", "gpu"},
        {HDR "1,,1,1,1,1,1,1\n", "line 2", "gpu"},
        {HDR "1,0,abc,1,1,1,1,1\n", "line 2", "util_pct"},
        {HDR "1,0,nan,1,1,1,1,1\n", "line 2", "util_pct"},
        {HDR "1,0,101,1,1,1,1,1\n", "line 2", "0..100"},
        {HDR "1,0,1,1,inf,1,1,1\n", "line 2", "power_w"},
        {HDR "1,0,1,1,1e999,1,1,1\n", "line 2", "power_w"},
        {HDR "1,0,1,1,-5,1,1,1\n", "line 2", "negative"},
        {HDR "1,0,1,1,1,1,1,0x10\n", "line 2", "energy_mj"},
        {HDR "5,0,1,1,1,1,1,1\n4,0,1,1,1,1,1,1\n", "line 3", "back in time"},
        {HDR "1,0,1,1,1,1,1, 1\n", "line 2", "energy_mj"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdm_gpu_samples s;
        char err[512] = "";
        int rc = tdm_gpu_samples_parse(cases[i].text, strlen(cases[i].text), "runs/run_1/gpu.csv", &s, err,
                                       sizeof err);
        if (rc != -1 || !strstr(err, "runs/run_1/gpu.csv") || !strstr(err, cases[i].line) ||
            !strstr(err, cases[i].what) || !strstr(err, "remove the file")) {
            print_error("case %zu: rc %d, err '%s'\n", i, rc, err);
            fail();
        }
        assert_null(s.s);
        assert_int_equal(s.n, 0);
    }
    /* a NUL byte */
    tdm_gpu_samples s;
    char err[512];
    const char nul[] = TDM_GPU_SAMPLES_HEADER "\n1,0,1\0,1,1,1,1,1\n";
    assert_int_equal(tdm_gpu_samples_parse(nul, sizeof nul - 1, "g.csv", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
    /* no final newline is fine */
    parse_ok(HDR "1,0,1,1,1,1,1,1", &s);
    assert_int_equal(s.n, 1);
    tdm_gpu_samples_free(&s);
    /* a missing file */
    assert_int_equal(tdm_gpu_samples_load("/nonexistent/gpu.csv", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/gpu.csv"));
}

/* Every prefix of a valid file, and every single-byte change of it, parses or fails
 * cleanly (ASan/valgrind runs of this test check there is no overread or leak). */
static void test_fuzz_prefixes_and_flips(void **state)
{
    (void)state;
    char *csv = series_csv(0, S / 10, 6, 100, 1, 5, 1, true);
    size_t len = strlen(csv);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    for (size_t cut = 0; cut <= len; cut++) {
        memcpy(copy, csv, cut);
        tdm_gpu_samples s;
        char err[512];
        if (tdm_gpu_samples_parse(copy, cut, "f", &s, err, sizeof err) == 0) {
            tdm_gpu_span sp;
            assert_int_equal(tdm_gpu_span_compute(&s, 0, S / 2, &sp), 0);
            tdm_gpu_samples_free(&s);
        }
    }
    static const char flips[] = {',', '\n', '0', '9', '-', '.', 'e', 'x', '\0', ' '};
    for (size_t i = 0; i < len; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, csv, len);
            copy[i] = flips[f];
            tdm_gpu_samples s;
            char err[512];
            if (tdm_gpu_samples_parse(copy, len, "f", &s, err, sizeof err) == 0) {
                tdm_gpu_span sp;
                assert_int_equal(tdm_gpu_span_compute(&s, S / 10, S / 3, &sp), 0);
                tdm_gpu_samples_free(&s);
            }
        }
    free(copy);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_power),
        cmocka_unit_test(test_ramp_counter_and_trapezoid_agree),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_counter_reset),
        cmocka_unit_test(test_span_outside_samples),
        cmocka_unit_test(test_two_gpus),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_fuzz_prefixes_and_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
