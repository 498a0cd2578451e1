/* test_report_baseline.c — baselines given on the command line
 * (src/report/baseline.c): "NAME=VALUE (provenance)" parsed, bad specs refused with a
 * message that says how to write one. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "report/analysis.h"

static void parses(const char *spec, const char *name, double value, const char *prov)
{
    tdm_rep_baseline b;
    char err[256] = "";
    if (tdm_rep_baseline_parse(spec, &b, err, sizeof err) != 0)
        fail_msg("'%s': %s", spec, err);
    assert_string_equal(b.name, name);
    assert_true(b.value == value);
    assert_string_equal(b.provenance, prov);
    assert_null(b.dir);
    tdm_rep_baseline_free(&b);
}

static void refused(const char *spec, const char *words)
{
    tdm_rep_baseline b;
    char err[256] = "";
    assert_int_equal(tdm_rep_baseline_parse(spec, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, words));
    tdm_rep_baseline_free(&b);
}

static void test_parse(void **state)
{
    (void)state;
    parses("TR110 Python=99.25 (mean of 5 runs)", "TR110 Python", 99.25, "mean of 5 runs");
    parses("TR114 Rust=95.7", "TR114 Rust", 95.7, "");
    parses(" TR114 Rust = 95.7% (TR114, table 3) ", "TR114 Rust", 95.7, "TR114, table 3");
    parses("x=1e2 measured on a laptop", "x", 100.0, "measured on a laptop");
}

static void test_refused(void **state)
{
    (void)state;
    refused("no value here", "NAME=VALUE");
    refused("=99", "empty name");
    refused("TR110=", "not a number");
    refused("TR110=abc", "not a number");
    refused("TR110=inf", "not a number");
    refused("a=b=3", "not a number");
    refused(NULL, "NAME=VALUE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
