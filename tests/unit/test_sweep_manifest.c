/* test_sweep_manifest.c — cell states and their transitions (finished cells are final,
 * failed ones run again only when asked), the manifest written and read back, and the
 * resume checks: a changed experiment or another cell order is refused with a message
 * saying what changed. Also SHA-256 against the FIPS test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sweep/experiment.h"
#include "sweep/manifest.h"
#include "sweep/plan.h"
#include "core/sha256.h"

static void test_states(void **state)
{
    (void)state;
    for (int s = 0; s < TDM_CELL_STATE_COUNT; s++) {
        tdm_cell_state back;
        assert_int_equal(tdm_cell_state_parse(tdm_cell_state_name((tdm_cell_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    tdm_cell_state x;
    assert_int_equal(tdm_cell_state_parse("done", &x), -1);
    assert_int_equal(tdm_cell_state_parse(NULL, &x), -1);

    /* what runs */
    assert_true(tdm_cell_should_run(TDM_CELL_PENDING, false));
    assert_true(tdm_cell_should_run(TDM_CELL_INTERRUPTED, false));
    assert_true(tdm_cell_should_run(TDM_CELL_RUNNING, false)); /* a sweep died under it */
    assert_false(tdm_cell_should_run(TDM_CELL_FAILED, false));
    assert_true(tdm_cell_should_run(TDM_CELL_FAILED, true));
    for (int retry = 0; retry < 2; retry++) {
        assert_false(tdm_cell_should_run(TDM_CELL_OK, retry));
        assert_false(tdm_cell_should_run(TDM_CELL_INCOMPLETE, retry));
    }

    /* transitions */
    assert_true(tdm_cell_transition_ok(TDM_CELL_PENDING, TDM_CELL_RUNNING));
    assert_false(tdm_cell_transition_ok(TDM_CELL_PENDING, TDM_CELL_OK));
    for (int to = TDM_CELL_PENDING; to < TDM_CELL_STATE_COUNT; to++)
        assert_true(tdm_cell_transition_ok(TDM_CELL_RUNNING, (tdm_cell_state)to));
    for (int to = 0; to < TDM_CELL_STATE_COUNT; to++) {
        assert_false(tdm_cell_transition_ok(TDM_CELL_OK, (tdm_cell_state)to));
        assert_false(tdm_cell_transition_ok(TDM_CELL_INCOMPLETE, (tdm_cell_state)to));
    }
    assert_true(tdm_cell_transition_ok(TDM_CELL_FAILED, TDM_CELL_RUNNING));
    assert_true(tdm_cell_transition_ok(TDM_CELL_INTERRUPTED, TDM_CELL_RUNNING));
    assert_false(tdm_cell_transition_ok(TDM_CELL_FAILED, TDM_CELL_OK));
    assert_true(tdm_cell_state_finished(TDM_CELL_OK) && tdm_cell_state_finished(TDM_CELL_INCOMPLETE));
    assert_false(tdm_cell_state_finished(TDM_CELL_FAILED));
}

static const char yaml[] = "name: m\nrepetitions: 2\n"
                           "pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: abcdefabcdef}\n"
                           "endpoints: {collector: 'http://127.0.0.1:1', insight: 'http://127.0.0.1:2'}\n"
                           "variants: [a, b]\n"
                           "configurations:\n  - {name: x, scenario: chimera-homo}\n";

static void load(const char *y, tdm_experiment *e)
{
    tdm_buf probs = {0};
    if (tdm_experiment_load_string(y, strlen(y), "t.yaml", NULL, e, &probs) != 0)
        fail_msg("%s", tdm_buf_str(&probs));
    tdm_buf_free(&probs);
}

static void test_save_load_resume(void **state)
{
    (void)state;
    char dir[] = "/tmp/tdm-manifest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/manifest.json", dir);

    tdm_experiment e;
    load(yaml, &e);
    tdm_sweep_cell *cells;
    size_t n;
    assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, 7, &cells, &n), 0);
    tdm_manifest m;
    assert_int_equal(tdm_manifest_init(&m, path, &e, cells, n, 7, TDM_SWEEP_ORDER_BLOCKS), 0);
    assert_int_equal(m.n_cells, 4);

    /* a life: pending -> running -> ok; another -> running -> failed; a third interrupted */
    assert_int_equal(tdm_manifest_set_state(&m, 0, TDM_CELL_OK), -1);
    assert_int_equal(tdm_manifest_set_state(&m, 0, TDM_CELL_RUNNING), 0);
    assert_int_equal(tdm_manifest_set_state(&m, 0, TDM_CELL_OK), 0);
    assert_int_equal(tdm_manifest_set_state(&m, 0, TDM_CELL_RUNNING), -1); /* final */
    assert_int_equal(tdm_manifest_set_state(&m, 1, TDM_CELL_RUNNING), 0);
    assert_int_equal(tdm_manifest_set_state(&m, 1, TDM_CELL_FAILED), 0);
    assert_int_equal(tdm_manifest_set_reason(&m, 1, "exit status 1: cannot reach Ollama"), 0);
    m.cells[1].attempts = 4;
    m.cells[1].exit_status = 1;
    assert_int_equal(tdm_manifest_set_state(&m, 2, TDM_CELL_RUNNING), 0);
    m.cells[2].child_pid = 4242;
    assert_int_equal(tdm_manifest_set_state(&m, 3, TDM_CELL_RUNNING), 0);
    assert_int_equal(tdm_manifest_set_state(&m, 3, TDM_CELL_INTERRUPTED), 0);
    size_t counts[TDM_CELL_STATE_COUNT];
    tdm_manifest_counts(&m, counts);
    assert_int_equal(counts[TDM_CELL_OK], 1);
    assert_int_equal(counts[TDM_CELL_FAILED], 1);
    assert_int_equal(counts[TDM_CELL_RUNNING], 1);
    assert_int_equal(counts[TDM_CELL_INTERRUPTED], 1);
    char err[1024];
    assert_int_equal(tdm_manifest_save(&m, err, sizeof err), 0);

    tdm_manifest back;
    assert_int_equal(tdm_manifest_load(&back, path, err, sizeof err), 0);
    assert_int_equal(back.n_cells, 4);
    assert_int_equal(back.seed, 7);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(back.cells[i].id, m.cells[i].id);
        assert_int_equal(back.cells[i].state, m.cells[i].state);
    }
    assert_string_equal(back.cells[1].reason, "exit status 1: cannot reach Ollama");
    assert_int_equal(back.cells[1].attempts, 4);
    assert_int_equal(back.cells[1].exit_status, 1);
    assert_int_equal(back.cells[2].child_pid, 4242);
    assert_int_equal(tdm_manifest_check_resume(&back, &e, cells, n, err, sizeof err), 0);

    /* another seed: another order, refused */
    tdm_sweep_cell *other;
    size_t n2;
    uint64_t s = 8;
    for (;; s++) {
        assert_int_equal(tdm_sweep_plan(&e, TDM_SWEEP_ORDER_BLOCKS, s, &other, &n2), 0);
        if (memcmp(other, cells, n * sizeof *cells) != 0)
            break;
        free(other);
    }
    assert_int_equal(tdm_manifest_check_resume(&back, &e, other, n2, err, sizeof err), -1);
    assert_non_null(strstr(err, "cell order differs"));
    free(other);

    /* a changed experiment: refused, naming the file */
    tdm_experiment e2;
    char changed[sizeof yaml + 32];
    snprintf(changed, sizeof changed, "%s# an edit\n", yaml);
    load(changed, &e2);
    assert_int_equal(tdm_manifest_check_resume(&back, &e2, cells, n, err, sizeof err), -1);
    assert_non_null(strstr(err, "the experiment file t.yaml changed since this sweep started"));
    assert_non_null(strstr(err, "another --out"));
    tdm_experiment_free(&e2);

    tdm_manifest_free(&back);
    tdm_manifest_free(&m);
    free(cells);
    tdm_experiment_free(&e);

    /* no manifest, and a file that is not one */
    char none[300];
    snprintf(none, sizeof none, "%s/none.json", dir);
    assert_int_equal(tdm_manifest_load(&back, none, err, sizeof err), 1);
    FILE *f = fopen(none, "w");
    fputs("{\"format\": \"something else\"}", f);
    fclose(f);
    assert_int_equal(tdm_manifest_load(&back, none, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a tandem-sweep-manifest/1 manifest"));
    unlink(none);
    unlink(path);
    rmdir(dir);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    tdm_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tdm_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    tdm_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* fed in odd pieces: the same */
    tdm_sha256 c;
    tdm_sha256_init(&c);
    for (size_t i = 0; i < strlen(two); i += 7)
        tdm_sha256_update(&c, two + i, strlen(two) - i < 7 ? strlen(two) - i : 7);
    tdm_sha256_final_hex(&c, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    tdm_sha256_hex("gemma3:latest", 13, hex); /* what tandem-sim reports, pinned in experiments/sim.yaml */
    assert_string_equal(hex, "54e006facfbc17678e45d429d199d090bcabf4e76bff3be16a847d6550ecfa6a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_save_load_resume),
        cmocka_unit_test(test_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
