/* test_core_outdir.c — the run folder (src/core/outdir.c): a folder holding an earlier
 * run's results is refused, or emptied of exactly those results with force; the default
 * folder is numbered when its name is taken. Works in a fresh temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fileio.h"
#include "core/outdir.h"

static char root[256];
static char err[1024];

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/tdm-outdir-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    return tdm_rmtree(root, err, sizeof err);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
}

static char *at(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", root, name);
    return p;
}

static void test_new_and_empty_folders_are_used(void **state)
{
    (void)state;
    bool refused = true;
    char *d = tdm_outdir_prepare(at("new/deeper"), false, false, &refused, err, sizeof err);
    assert_non_null(d);
    assert_false(refused);
    assert_true(tdm_is_dir(d));
    free(d);
    d = tdm_outdir_prepare(at("new/deeper"), false, false, &refused, err, sizeof err);
    assert_non_null(d); /* empty: fine */
    free(d);
}

static void test_results_are_refused_with_the_fix(void **state)
{
    (void)state;
    mkdir(at("a"), 0777);
    touch(at("a/provenance.json"));
    bool refused = false;
    assert_null(tdm_outdir_prepare(at("a"), false, false, &refused, err, sizeof err));
    assert_true(refused);
    assert_non_null(strstr(err, "provenance.json"));
    assert_non_null(strstr(err, "--force"));
    assert_non_null(strstr(err, "another folder"));

    mkdir(at("b"), 0777);
    mkdir(at("b/run_2"), 0777);
    assert_null(tdm_outdir_prepare(at("b"), false, false, &refused, err, sizeof err));
    assert_true(refused);
    assert_non_null(strstr(err, "run_2"));
}

static void test_force_deletes_only_the_results(void **state)
{
    (void)state;
    mkdir(at("c"), 0777);
    mkdir(at("c/run_1"), 0777);
    touch(at("c/run_1/records.json"));
    touch(at("c/provenance.json"));
    touch(at("c/summary.json"));
    touch(at("c/report.md"));
    touch(at("c/notes.txt"));
    bool refused = true;
    char *d = tdm_outdir_prepare(at("c"), false, true, &refused, err, sizeof err);
    assert_non_null(d);
    assert_false(refused);
    free(d);
    assert_false(tdm_path_exists(at("c/run_1")));
    assert_false(tdm_path_exists(at("c/provenance.json")));
    assert_false(tdm_path_exists(at("c/summary.json")));
    assert_false(tdm_path_exists(at("c/report.md")));
    assert_true(tdm_path_exists(at("c/notes.txt")));
    assert_false(tdm_outdir_has_results(at("c"), NULL, 0));
}

static void test_the_default_is_numbered_when_taken(void **state)
{
    (void)state;
    bool refused;
    char *d1 = tdm_outdir_prepare(at("results/v/s-20260101T000000Z"), true, false, &refused, err, sizeof err);
    char *d2 = tdm_outdir_prepare(at("results/v/s-20260101T000000Z"), true, false, &refused, err, sizeof err);
    char *d3 = tdm_outdir_prepare(at("results/v/s-20260101T000000Z"), true, false, &refused, err, sizeof err);
    assert_non_null(d1);
    assert_non_null(d2);
    assert_non_null(d3);
    assert_string_equal(d1, at("results/v/s-20260101T000000Z"));
    assert_string_equal(d2, at("results/v/s-20260101T000000Z-2"));
    assert_string_equal(d3, at("results/v/s-20260101T000000Z-3"));
    free(d1);
    free(d2);
    free(d3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_and_empty_folders_are_used, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_results_are_refused_with_the_fix, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_force_deletes_only_the_results, make_root, remove_root),
        cmocka_unit_test_setup_teardown(test_the_default_is_numbered_when_taken, make_root, remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
