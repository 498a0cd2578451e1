/* test_core_utf8.c — UTF-8 validation and repair (src/core/utf8.c), and that a record
 * whose text is not valid UTF-8 is still written (repaired) instead of losing the run. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rundata.h"
#include "core/utf8.h"

static void test_valid_and_invalid(void **state)
{
    (void)state;
    const char *good[] = {"", "plain", "h\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x8e\x89"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(tdm_utf8_valid(good[i], strlen(good[i])));
    const char *bad[] = {"\xc3", "\xe6\x97", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(tdm_utf8_valid(bad[i], strlen(bad[i])));
    assert_false(tdm_utf8_valid("a\0b", 3));
}

static void test_sanitize(void **state)
{
    (void)state;
    size_t n;
    /* a token split mid-character: the dangling lead byte becomes U+FFFD, the rest stays */
    const char in[] = "ok \xe6\x97 then \xc3\xa9";
    char *s = tdm_utf8_sanitize(in, sizeof in - 1, &n);
    assert_string_equal(s, "ok \xef\xbf\xbd\xef\xbf\xbd then \xc3\xa9");
    assert_int_equal(n, strlen(s));
    assert_true(tdm_utf8_valid(s, n));
    free(s);
}

static void test_record_with_invalid_text_is_written(void **state)
{
    (void)state;
    char *names[] = {"a"};
    tdm_run_data d;
    assert_int_equal(tdm_run_data_init(&d, 1, 1, names), 0);
    tdm_call_record r;
    tdm_record_init(&r, 1, TDM_PHASE_WARMUP, 0, 0);
    tdm_buf_append(&r.text, "bad \xff byte", 10);
    r.ok = true;
    assert_int_equal(tdm_run_data_take_calls(&d, &r, 1), 0);
    json_t *doc = tdm_run_data_to_json(&d);
    char *text = json_dumps(doc, 0);
    assert_non_null(text); /* jansson would refuse the whole document otherwise */
    json_t *call = json_array_get(json_object_get(doc, "calls"), 0);
    assert_string_equal(json_string_value(json_object_get(call, "text")), "bad \xef\xbf\xbd byte");
    assert_true(json_is_true(json_object_get(call, "text_repaired")));
    free(text);
    json_decref(doc);
    tdm_run_data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_and_invalid),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_record_with_invalid_text_is_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
