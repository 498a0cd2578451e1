/* test_gpu_csv.c — gpu.csv lines: the exact header, every field present, absent values
 * as empty fields (never 0), power with 3 decimals, extremes that still fit the line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gpu/csv.h"

static void line_is(const tdm_gpu_sample *s, const char *want)
{
    char out[TDM_GPU_CSV_LINE_MAX];
    size_t n = tdm_gpu_csv_line(s, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_header(void **state)
{
    (void)state;
    assert_string_equal(TDM_GPU_CSV_HEADER, "t_mono_ns,gpu,util_pct,mem_used_mib,power_w,sm_clock_mhz,temp_c,energy_mj\n");
}

static void test_full_line(void **state)
{
    (void)state;
    tdm_gpu_sample s = {.t_mono_ns = 123456789012345, .gpu = 1, .have = 0x3f, .util_pct = 97, .mem_used_mib = 40960,
                        .power_w = 612.3456, .sm_clock_mhz = 1980, .temp_c = 67, .energy_mj = 987654321};
    line_is(&s, "123456789012345,1,97,40960,612.346,1980,67,987654321\n");
}

static void test_absent_values_are_empty(void **state)
{
    (void)state;
    tdm_gpu_sample s = {.t_mono_ns = 5, .gpu = 0, .have = 0, .util_pct = 50, .power_w = 3};
    line_is(&s, "5,0,,,,,,\n");
    s.have = TDM_GPU_HAVE_POWER | TDM_GPU_HAVE_TEMP;
    s.temp_c = -5;
    line_is(&s, "5,0,,,3.000,,-5,\n");
    s.have = TDM_GPU_HAVE_UTIL | TDM_GPU_HAVE_ENERGY;
    s.util_pct = 0;
    s.energy_mj = 0;
    line_is(&s, "5,0,0,,,,,0\n");
}

static void test_power_not_finite_is_empty(void **state)
{
    (void)state;
    tdm_gpu_sample s = {.t_mono_ns = 1, .have = TDM_GPU_HAVE_POWER, .power_w = NAN};
    line_is(&s, "1,0,,,,,,\n");
    s.power_w = -1;
    line_is(&s, "1,0,,,,,,\n");
    s.power_w = INFINITY;
    line_is(&s, "1,0,,,,,,\n");
}

static void test_extremes_fit(void **state)
{
    (void)state;
    tdm_gpu_sample s = {.t_mono_ns = INT64_MIN, .gpu = UINT32_MAX, .have = 0x3f, .util_pct = UINT32_MAX,
                        .mem_used_mib = UINT64_MAX, .power_w = 999999999.999, .sm_clock_mhz = UINT32_MAX,
                        .temp_c = INT32_MIN, .energy_mj = UINT64_MAX};
    char out[TDM_GPU_CSV_LINE_MAX];
    size_t n = tdm_gpu_csv_line(&s, out);
    assert_true(n < TDM_GPU_CSV_LINE_MAX);
    assert_int_equal(out[n - 1], '\n');
    assert_int_equal(strlen(out), n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_full_line),
        cmocka_unit_test(test_absent_values_are_empty),
        cmocka_unit_test(test_power_not_finite_is_empty),
        cmocka_unit_test(test_extremes_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
