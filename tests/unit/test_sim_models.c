/* test_sim_models.c — model catalogue, listings, residency and SHA-256
 * (src/sim/models.c, sha256.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sim/models.h"
#include "core/sha256.h"

#define S 1000000000LL

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    tdm_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tdm_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes */
    tdm_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char million[1000];
    memset(million, 'a', sizeof million);
    tdm_sha256_hex(million, 1000, hex);
    assert_string_equal(hex, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void test_names(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(tdm_sim_model_normalize("gemma3", out, sizeof out), 0);
    assert_string_equal(out, "gemma3:latest");
    assert_int_equal(tdm_sim_model_normalize("gemma3:1b", out, sizeof out), 0);
    assert_string_equal(out, "gemma3:1b");
    assert_int_equal(tdm_sim_model_normalize("host:5000/ns/m", out, sizeof out), 0);
    assert_string_equal(out, "host:5000/ns/m:latest");
    assert_int_equal(tdm_sim_model_normalize("", out, sizeof out), -1);
    tdm_sim_model m[2];
    assert_int_equal(tdm_sim_model_init(&m[0], "gemma3:latest"), 0);
    assert_int_equal(tdm_sim_model_init(&m[1], "tiny"), 0);
    assert_string_equal(m[1].name, "tiny:latest");
    assert_int_equal(tdm_sim_model_find(m, 2, "gemma3"), 0);
    assert_int_equal(tdm_sim_model_find(m, 2, "tiny:latest"), 1);
    assert_int_equal(tdm_sim_model_find(m, 2, "gemma3:1b"), -1);
    /* Ollama finds models ignoring case: "Tiny" is tiny:latest. */
    assert_int_equal(tdm_sim_model_find(m, 2, "Tiny"), 1);
    assert_int_equal(tdm_sim_model_find(m, 2, "GEMMA3:Latest"), 0);
    /* The digest is the SHA-256 of the normalised name: stable from run to run. */
    char hex[65];
    tdm_sha256_hex("gemma3:latest", 13, hex);
    assert_string_equal(m[0].digest, hex);
    assert_int_equal(m[0].size, 3338801804LL);
    tdm_sim_model u;
    assert_int_equal(tdm_sim_model_init(&u, "mistral7"), 0);
    assert_string_equal(u.family, "mistral");
    assert_true(u.size > 0);
}

static void test_listings_are_valid_json(void **state)
{
    (void)state;
    tdm_sim_model m[2];
    tdm_sim_model_init(&m[0], "gemma3");
    tdm_sim_model_init(&m[1], "tiny");
    tdm_buf b = {0};
    assert_int_equal(tdm_sim_wire_tags(&b, m, 2), 0);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    json_t *first = json_array_get(json_object_get(j, "models"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "gemma3:latest");
    assert_string_equal(json_string_value(json_object_get(first, "digest")), m[0].digest);
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "details"), "family")), "gemma3");
    json_decref(j);
    /* Field order as Ollama's api.ListModelResponse. */
    assert_non_null(strstr(b.data, "{\"name\":\"gemma3:latest\",\"model\":\"gemma3:latest\",\"modified_at\":"));
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_wire_show(&b, &m[0]), 0);
    j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "model_info"),
                                                        "gemma3.context_length")), 131072);
    json_decref(j);
    tdm_buf_free(&b);
}

static void test_residency(void **state)
{
    (void)state;
    tdm_sim_loaded l = {0};
    /* Cold: ready after the load; a second request during the load waits for the same. */
    assert_int_equal(tdm_sim_loaded_acquire(&l, 10 * S, 2 * S, 300 * S), 12 * S);
    assert_int_equal(tdm_sim_loaded_acquire(&l, 11 * S, 2 * S, 300 * S), 12 * S);
    tdm_sim_loaded_release(&l, 15 * S, 300 * S);
    assert_true(tdm_sim_loaded_resident(&l, 16 * S));
    tdm_sim_loaded_release(&l, 16 * S, 300 * S);
    /* Warm until keep_alive after the last user. */
    assert_true(tdm_sim_loaded_resident(&l, 315 * S));
    assert_int_equal(tdm_sim_loaded_acquire(&l, 20 * S, 2 * S, 300 * S), 20 * S);
    tdm_sim_loaded_release(&l, 21 * S, 1 * S);
    assert_false(tdm_sim_loaded_resident(&l, 22 * S));
    assert_int_equal(tdm_sim_loaded_acquire(&l, 23 * S, 2 * S, 300 * S), 25 * S); /* cold again */
    tdm_sim_loaded_release(&l, 26 * S, INT64_MAX);
    assert_true(tdm_sim_loaded_resident(&l, INT64_MAX - 1));
    /* keep_alive 0 with an empty prompt unloads at once. */
    tdm_sim_loaded_unload(&l, 30 * S);
    assert_false(tdm_sim_loaded_resident(&l, 30 * S));
    /* keep_alive 0 on a normal request: gone when it ends. */
    assert_int_equal(tdm_sim_loaded_acquire(&l, 40 * S, 0, 0), 40 * S);
    assert_true(tdm_sim_loaded_resident(&l, 41 * S));
    tdm_sim_loaded_release(&l, 42 * S, 0);
    assert_false(tdm_sim_loaded_resident(&l, 42 * S));
}

static void test_ps(void **state)
{
    (void)state;
    tdm_sim_model m[2];
    tdm_sim_model_init(&m[0], "gemma3");
    tdm_sim_model_init(&m[1], "tiny");
    tdm_sim_loaded l[2] = {{0}, {0}};
    tdm_sim_loaded_acquire(&l[1], 0, 0, 300 * S);
    tdm_sim_loaded_release(&l[1], 1 * S, 300 * S);
    tdm_buf b = {0};
    /* mono 2 s = wall 1763080164 s: expires at wall + 299 s. */
    assert_int_equal(tdm_sim_wire_ps(&b, m, l, 2, 2 * S, 1763080164LL * S, 100), 0);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    json_t *arr = json_object_get(j, "models");
    assert_int_equal(json_array_size(arr), 1);
    json_t *e = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(e, "name")), "tiny:latest");
    assert_string_equal(json_string_value(json_object_get(e, "expires_at")), "2025-11-14T00:34:23Z");
    assert_int_equal(json_integer_value(json_object_get(e, "size_vram")), m[1].size);
    json_decref(j);
    /* keep_alive forever: Ollama shows now + MaxInt64 ns, 292 years on. */
    tdm_sim_loaded_acquire(&l[0], 0, 0, INT64_MAX);
    tdm_sim_loaded_release(&l[0], 1 * S, INT64_MAX);
    tdm_buf_reset(&b);
    assert_int_equal(tdm_sim_wire_ps(&b, m, l, 2, 2 * S, 1763080164LL * S + 500000000LL, 100), 0);
    j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    e = json_array_get(json_object_get(j, "models"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "name")), "gemma3:latest");
    /* 1763080164.5 s + 9223372036.854775807 s */
    assert_string_equal(json_string_value(json_object_get(e, "expires_at")),
                        "2318-02-24T00:16:41.354775807Z");
    json_decref(j);
    tdm_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),    cmocka_unit_test(test_names),
        cmocka_unit_test(test_listings_are_valid_json),
        cmocka_unit_test(test_residency), cmocka_unit_test(test_ps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
