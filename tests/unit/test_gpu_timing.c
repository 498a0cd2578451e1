/* test_gpu_timing.c — the sampling grid: deadlines stay on start + k * period however
 * late a wake-up is (no drift), overruns skip missed points, and timespec conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gpu/timing.h"

static void test_next_deadline_on_grid(void **state)
{
    (void)state;
    const int64_t start = 1000, p = 100;
    assert_int_equal(tdm_gpu_next_deadline(start, p, 1000), 1100);
    assert_int_equal(tdm_gpu_next_deadline(start, p, 1001), 1100);
    assert_int_equal(tdm_gpu_next_deadline(start, p, 1099), 1100);
    assert_int_equal(tdm_gpu_next_deadline(start, p, 1100), 1200); /* strictly after now */
    assert_int_equal(tdm_gpu_next_deadline(start, p, 1130), 1200); /* a late wake-up does not shift the grid */
}

static void test_overrun_skips_missed_points(void **state)
{
    (void)state;
    assert_int_equal(tdm_gpu_next_deadline(0, 100, 350), 400);
    assert_int_equal(tdm_gpu_next_deadline(0, 100, 999999), 1000000);
}

static void test_no_drift_over_many_periods(void **state)
{
    (void)state;
    /* Each wake-up 3 ns late, each reading taking 17 ns: still exactly on the grid. */
    const int64_t start = 5000000000LL, p = 100000000LL;
    int64_t d = start;
    for (int k = 1; k <= 10000; k++) {
        d = tdm_gpu_next_deadline(start, p, d + 3 + 17);
        assert_int_equal(d, start + k * p);
    }
}

static void test_now_before_start(void **state)
{
    (void)state;
    assert_int_equal(tdm_gpu_next_deadline(1000, 100, 10), 1100);
}

static void test_timespec(void **state)
{
    (void)state;
    struct timespec ts = tdm_gpu_timespec(3123456789LL);
    assert_int_equal(ts.tv_sec, 3);
    assert_int_equal(ts.tv_nsec, 123456789);
    ts = tdm_gpu_timespec(-5);
    assert_int_equal(ts.tv_sec, 0);
    assert_int_equal(ts.tv_nsec, 0);
    ts = tdm_gpu_timespec(999999999LL);
    assert_int_equal(ts.tv_sec, 0);
    assert_int_equal(ts.tv_nsec, 999999999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_deadline_on_grid),
        cmocka_unit_test(test_overrun_skips_missed_points),
        cmocka_unit_test(test_no_drift_over_many_periods),
        cmocka_unit_test(test_now_before_start),
        cmocka_unit_test(test_timespec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
