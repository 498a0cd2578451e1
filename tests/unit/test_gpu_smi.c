/* test_gpu_smi.c — nvidia-smi's CSV read into readings and device facts: plain lines,
 * "[N/A]" / "[Not Supported]" / other bracketed words as absent values, units tolerated,
 * lines that are not readings refused, names with commas, the banner's CUDA version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gpu/smi_parse.h"

static void test_sample_plain(void **state)
{
    (void)state;
    tdm_gpu_sample s;
    assert_int_equal(tdm_gpu_smi_parse_sample("1, 35, 1234, 71.23, 1980, 45", &s), 0);
    assert_int_equal(s.gpu, 1);
    assert_int_equal(s.have, TDM_GPU_HAVE_UTIL | TDM_GPU_HAVE_MEM | TDM_GPU_HAVE_POWER | TDM_GPU_HAVE_CLOCK |
                                 TDM_GPU_HAVE_TEMP);
    assert_int_equal(s.util_pct, 35);
    assert_int_equal(s.mem_used_mib, 1234);
    assert_true(s.power_w > 71.229 && s.power_w < 71.231);
    assert_int_equal(s.sm_clock_mhz, 1980);
    assert_int_equal(s.temp_c, 45);
    assert_int_equal(s.t_mono_ns, 0);
}

static void test_sample_not_available(void **state)
{
    (void)state;
    tdm_gpu_sample s;
    assert_int_equal(tdm_gpu_smi_parse_sample("0, [N/A], 10, [Not Supported], [Unknown Error], N/A", &s), 0);
    assert_int_equal(s.have, TDM_GPU_HAVE_MEM);
    assert_int_equal(s.mem_used_mib, 10);
    assert_int_equal(tdm_gpu_smi_parse_sample("0,,,,,", &s), 0);
    assert_int_equal(s.have, 0);
}

static void test_sample_units_and_spacing(void **state)
{
    (void)state;
    tdm_gpu_sample s;
    assert_int_equal(tdm_gpu_smi_parse_sample("  2 ,35 %,1234 MiB,  71.23 W ,1980 MHz,45\r", &s), 0);
    assert_int_equal(s.gpu, 2);
    assert_int_equal(s.have & (TDM_GPU_HAVE_UTIL | TDM_GPU_HAVE_MEM | TDM_GPU_HAVE_POWER | TDM_GPU_HAVE_CLOCK),
                     TDM_GPU_HAVE_UTIL | TDM_GPU_HAVE_MEM | TDM_GPU_HAVE_POWER | TDM_GPU_HAVE_CLOCK);
    assert_int_equal(s.have & TDM_GPU_HAVE_TEMP, TDM_GPU_HAVE_TEMP);
}

static void test_sample_out_of_range_or_garbage(void **state)
{
    (void)state;
    tdm_gpu_sample s;
    assert_int_equal(tdm_gpu_smi_parse_sample("0, 101, -3, -1, 1e300, 12abc", &s), 0);
    assert_int_equal(s.have, 0);
    assert_int_equal(tdm_gpu_smi_parse_sample("0, nan, inf, 1e999, 0x10z, 45", &s), 0);
    assert_int_equal(s.have, TDM_GPU_HAVE_TEMP);
}

static void test_sample_refused(void **state)
{
    (void)state;
    tdm_gpu_sample s;
    assert_int_equal(tdm_gpu_smi_parse_sample("", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("index, utilization.gpu, memory.used, power.draw, clocks.sm, temperature.gpu", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("0, 1, 2, 3, 4", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("0, 1, 2, 3, 4, 5, 6", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("-1, 1, 2, 3, 4, 5", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("1.5, 1, 2, 3, 4, 5", &s), -1);
    assert_int_equal(tdm_gpu_smi_parse_sample("No devices were found", &s), -1);
    char big[3000];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(tdm_gpu_smi_parse_sample(big, &s), -1);
    memset(big, ',', 100);
    big[100] = '\0';
    assert_int_equal(tdm_gpu_smi_parse_sample(big, &s), -1);
}

static void test_dev_line(void **state)
{
    (void)state;
    tdm_gpu_dev g;
    char drv[96];
    assert_int_equal(tdm_gpu_smi_parse_dev("0, NVIDIA H100 80GB HBM3, GPU-abc, 81559, 9.0, 700.00, 550.54.15", &g, drv,
                                           sizeof drv),
                     0);
    assert_int_equal(g.index, 0);
    assert_string_equal(g.name, "NVIDIA H100 80GB HBM3");
    assert_string_equal(g.uuid, "GPU-abc");
    assert_true(g.have_memory_total);
    assert_int_equal(g.memory_total_mib, 81559);
    assert_string_equal(g.compute_cap, "9.0");
    assert_true(g.have_power_limit);
    assert_true(g.power_limit_w == 700.0);
    assert_string_equal(drv, "550.54.15");
}

static void test_dev_line_not_available_and_commas(void **state)
{
    (void)state;
    tdm_gpu_dev g;
    char drv[96];
    assert_int_equal(tdm_gpu_smi_parse_dev("3, Quadro, RTX, 8000, [N/A], [N/A], [Not Supported], [N/A], 470.1", &g, drv,
                                           sizeof drv),
                     0);
    assert_int_equal(g.index, 3);
    assert_string_equal(g.name, "Quadro, RTX, 8000");
    assert_string_equal(g.uuid, "");
    assert_false(g.have_memory_total);
    assert_string_equal(g.compute_cap, "");
    assert_false(g.have_power_limit);
    assert_string_equal(drv, "470.1");
    assert_int_equal(tdm_gpu_smi_parse_dev("0, a, b, c, d, e", &g, drv, sizeof drv), -1);
    assert_int_equal(tdm_gpu_smi_parse_dev("x, a, b, 1, 2, 3, 4", &g, drv, sizeof drv), -1);
}

static void test_cuda_version(void **state)
{
    (void)state;
    char v[24];
    assert_int_equal(tdm_gpu_smi_cuda_version("| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4     |\n",
                                              v, sizeof v),
                     0);
    assert_string_equal(v, "12.4");
    assert_int_equal(tdm_gpu_smi_cuda_version("CUDA Version:12.10|", v, sizeof v), 0);
    assert_string_equal(v, "12.10");
    assert_int_equal(tdm_gpu_smi_cuda_version("| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15 |", v, sizeof v), -1);
    assert_int_equal(tdm_gpu_smi_cuda_version("CUDA Version: N/A", v, sizeof v), -1);
    assert_int_equal(tdm_gpu_smi_cuda_version("CUDA Version: ", v, sizeof v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_plain),
        cmocka_unit_test(test_sample_not_available),
        cmocka_unit_test(test_sample_units_and_spacing),
        cmocka_unit_test(test_sample_out_of_range_or_garbage),
        cmocka_unit_test(test_sample_refused),
        cmocka_unit_test(test_dev_line),
        cmocka_unit_test(test_dev_line_not_available_and_commas),
        cmocka_unit_test(test_cuda_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
