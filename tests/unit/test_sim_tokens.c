/* test_sim_tokens.c — the simulator's tokenizer and token text (src/sim/tokens.c, rng.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/rng.h"
#include "sim/tokens.h"

static size_t count(const char *s)
{
    return tdm_sim_tokenize(s, strlen(s), NULL, 0);
}

static void test_tokenize_counts(void **state)
{
    (void)state;
    assert_int_equal(count(""), 0);
    assert_int_equal(count("   \t\n"), 0);
    assert_int_equal(count("a"), 1);
    assert_int_equal(count("abcd"), 1);
    assert_int_equal(count("abcde"), 2);     /* one token per started 4 bytes of a word */
    assert_int_equal(count("hello world"), 4); /* 5 -> 2, 5 -> 2 */
    assert_int_equal(count("  a  b\tc\nd "), 4);
    assert_int_equal(count("Why is the sky blue?"), 6); /* why, is, the, sky, blue? (2) */
    /* Multi-byte characters count by bytes: "日本語" is 9 bytes -> 3 tokens. */
    assert_int_equal(count("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 3);
}

static void test_tokenize_ids(void **state)
{
    (void)state;
    int32_t a[8], b[8], small[2];
    size_t n = tdm_sim_tokenize("the cat sat on the mat", 22, a, 8);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_true(a[i] >= 0 && a[i] < TDM_SIM_VOCAB);
    assert_int_equal(a[0], a[4]); /* "the" twice: same id */
    assert_int_not_equal(a[0], a[1]);
    assert_int_equal(tdm_sim_tokenize("the cat sat on the mat", 22, b, 8), 6);
    assert_memory_equal(a, b, sizeof(int32_t) * 6);
    /* A short array gets the first ids; the count is still the total. */
    assert_int_equal(tdm_sim_tokenize("the cat sat on the mat", 22, small, 2), 6);
    assert_int_equal(small[0], a[0]);
    assert_int_equal(small[1], a[1]);
}

static bool valid_utf8(const unsigned char *s, size_t n, bool *has_mb)
{
    *has_mb = false;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        if (len > 1)
            *has_mb = true;
        i += len;
    }
    return true;
}

static void test_text_ascii(void **state)
{
    (void)state;
    tdm_sim_textgen g;
    tdm_sim_textgen_init(&g, 42, false, false);
    for (int i = 0; i < 2000; i++) {
        char t[TDM_SIM_TOKEN_MAX];
        int32_t id;
        size_t n = tdm_sim_textgen_next(&g, t, &id);
        assert_true(n > 0 && n < TDM_SIM_TOKEN_MAX);
        assert_int_equal(strlen(t), n);
        assert_true(id >= 0 && id < TDM_SIM_VOCAB);
        if (i == 0)
            assert_true(t[0] != ' ');
        else
            assert_true(t[0] == ' ' && n > 1);
        for (size_t k = 0; k < n; k++)
            assert_true(t[k] >= 0x20 && t[k] < 0x7f);
    }
}

static void test_text_deterministic(void **state)
{
    (void)state;
    tdm_sim_textgen a, b, c;
    tdm_sim_textgen_init(&a, 7, true, false);
    tdm_sim_textgen_init(&b, 7, true, false);
    tdm_sim_textgen_init(&c, 8, true, false);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        char ta[TDM_SIM_TOKEN_MAX], tb[TDM_SIM_TOKEN_MAX], tc[TDM_SIM_TOKEN_MAX];
        tdm_sim_textgen_next(&a, ta, NULL);
        tdm_sim_textgen_next(&b, tb, NULL);
        tdm_sim_textgen_next(&c, tc, NULL);
        assert_string_equal(ta, tb);
        differ += strcmp(ta, tc) != 0;
    }
    assert_true(differ > 50);
}

static void test_text_utf8(void **state)
{
    (void)state;
    tdm_sim_textgen g, f;
    tdm_sim_textgen_init(&g, 3, true, false);
    tdm_sim_textgen_init(&f, 3, false, true);
    int with_mb = 0;
    for (int i = 0; i < 1000; i++) {
        char t[TDM_SIM_TOKEN_MAX];
        bool mb;
        size_t n = tdm_sim_textgen_next(&g, t, NULL);
        assert_true(valid_utf8((unsigned char *)t, n, &mb));
        with_mb += mb;
        n = tdm_sim_textgen_next(&f, t, NULL);
        assert_true(valid_utf8((unsigned char *)t, n, &mb));
        assert_true(mb); /* forced: every token has one */
    }
    assert_true(with_mb > 200 && with_mb < 600); /* about a third */
}

static void test_length_draw(void **state)
{
    (void)state;
    tdm_sim_rng r;
    tdm_sim_rng_seed(&r, 1);
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        int64_t n = tdm_sim_draw_length(&r, 64, 16, 100000);
        assert_true(n >= 1);
        sum += (double)n;
    }
    assert_true(sum / 10000 > 62 && sum / 10000 < 66);
    /* Clamped at 1 and at max; sd 0 is exactly the mean. */
    assert_int_equal(tdm_sim_draw_length(&r, 1, 0, 100), 1);
    assert_int_equal(tdm_sim_draw_length(&r, 500, 0, 100), 100);
    for (int i = 0; i < 100; i++) {
        int64_t n = tdm_sim_draw_length(&r, 5, 1000, 50);
        assert_true(n >= 1 && n <= 50);
    }
    assert_int_equal(tdm_sim_draw_length(&r, 10, 0, 100), 10);
    tdm_sim_rng a, b;
    tdm_sim_rng_seed(&a, 99);
    tdm_sim_rng_seed(&b, 99);
    for (int i = 0; i < 10; i++)
        assert_true(tdm_sim_rng_next(&a) == tdm_sim_rng_next(&b));
    for (int i = 0; i < 1000; i++)
        assert_true(tdm_sim_rng_below(&a, 7) < 7);
    assert_int_equal(tdm_sim_rng_below(&a, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize_counts),   cmocka_unit_test(test_tokenize_ids),
        cmocka_unit_test(test_text_ascii),        cmocka_unit_test(test_text_deterministic),
        cmocka_unit_test(test_text_utf8),         cmocka_unit_test(test_length_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
