/* test_sweep_vram.c — the VRAM pin: what /api/ps's size_vram against size means for each
 * pins.model_in_vram setting, and a cell's own /api/ps snapshots (provenance.json
 * "server_memory") held to it: the first snapshot with the model partly on the CPU names
 * the server, the phase and the fix; a cell without snapshots has nothing to refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sweep/pins.h"

static void test_vram_rules(void **state)
{
    (void)state;
    char why[1024] = "";
    const long long G = 1024LL * 1024 * 1024;
    assert_true(tdm_sweep_vram_ok(TDM_VRAM_UNCHECKED, "u", "m", 0, G, why, sizeof why));
    assert_true(tdm_sweep_vram_ok(TDM_VRAM_SOME, "u", "m", 1, G, why, sizeof why));
    assert_true(tdm_sweep_vram_ok(TDM_VRAM_FULL, "u", "m", G, G, why, sizeof why));
    assert_false(tdm_sweep_vram_ok(TDM_VRAM_SOME, "http://h:1", "m", 0, 2 * G, why, sizeof why));
    assert_non_null(strstr(why, "http://h:1 runs m on the CPU (/api/ps size_vram 0 of 2.00 GiB)"));
    assert_false(tdm_sweep_vram_ok(TDM_VRAM_FULL, "http://h:1", "m", G, 4 * G, why, sizeof why));
    assert_non_null(strstr(why, "holds only 25.0% of m in VRAM (size_vram 1.00 GiB of 4.00 GiB)"));
    assert_non_null(strstr(why, "--layout per-gpu"));
}

static char dir[64];

static void write_prov(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tandem-vram-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/provenance.json", dir);
    unlink(path);
    return rmdir(dir);
}

static void test_cell_snapshots(void **state)
{
    (void)state;
    char why[1024] = "";
    /* No provenance, or one without snapshots: nothing to hold against the pin. */
    assert_true(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_FULL, "gemma3:latest", why, sizeof why));
    write_prov("{\"variant\": \"smol\"}");
    assert_true(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_FULL, "gemma3:latest", why, sizeof why));

    write_prov("{\"server_memory\": ["
               "{\"run\": 1, \"phase\": \"sequential\", \"when\": \"before\", \"url\": \"http://a:1\","
               " \"models\": [{\"name\": \"gemma3:latest\", \"size\": 100, \"size_vram\": 100}]},"
               "{\"run\": 1, \"phase\": \"concurrent\", \"when\": \"after\", \"url\": \"http://b:2\","
               " \"models\": [{\"name\": \"other:1b\", \"size\": 100, \"size_vram\": 0},"
               "             {\"name\": \"gemma3:latest\", \"size\": 100, \"size_vram\": 80}]},"
               "{\"run\": 1, \"phase\": \"sequential\", \"when\": \"after\", \"url\": \"http://c:3\","
               " \"error\": \"HTTP 500\"}]}");
    /* "gemma3" means gemma3:latest; another model's place is not the experiment's concern. */
    assert_false(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_FULL, "gemma3", why, sizeof why));
    assert_non_null(strstr(why, "after concurrent phase of run 1: http://b:2 holds only 80.0% of gemma3:latest"));
    assert_true(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_SOME, "gemma3", why, sizeof why));
    assert_true(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_UNCHECKED, "gemma3", why, sizeof why));
    /* Damaged snapshots are skipped, not trusted and not a crash. */
    write_prov("{\"server_memory\": [1, {\"models\": 3}, {\"models\": [{\"name\": 5}]},"
               " {\"models\": [{\"name\": \"gemma3:latest\", \"size_vram\": \"x\"}]}]}");
    assert_true(tdm_sweep_cell_vram_ok(dir, TDM_VRAM_FULL, "gemma3:latest", why, sizeof why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vram_rules),
        cmocka_unit_test_setup_teardown(test_cell_snapshots, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
