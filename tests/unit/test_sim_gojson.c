/* test_sim_gojson.c — Go's json.Decoder as the simulator imitates it (src/sim/gojson.c):
 * where the first value ends, and Go's words for every syntax error. The expected
 * messages are Go 1.24's (encoding/json/scanner.go), several of them confirmed against
 * the real Ollama 0.11.4 (tests/e2e/test_sim_parity.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/gojson.h"

static char err[256];

static long scan(const char *s)
{
    err[0] = '\0';
    return tdm_sim_gojson_scan(s, strlen(s), err, sizeof err);
}

static void test_value_ends(void **state)
{
    (void)state;
    static const struct { const char *in; long end; } ok[] = {
        {"{}", 2},
        {"  {\"a\":1}  ", 9},                /* leading space counts, trailing is not read */
        {"{\"a\":[1,2,{\"b\":null}]}xyz", 22}, /* bytes after the value are never read */
        {"{\"a\":1}{\"b\":2}", 7},
        {"[]", 2},
        {"null", 4},
        {"null junk", 4},
        {"true", 4},
        {"-0.5e+3", 7},
        {"12 ", 2},
        {"01", 1},                            /* "0" is a whole number: "1" is not read */
        {"\"s\\u00e9\\n\"", 11},
        {"{\"k\":\"\xc3\xa9\"}", 10},        /* raw UTF-8 inside strings */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        long got = scan(ok[i].in);
        if (got != ok[i].end)
            fail_msg("'%s': got %ld (%s), want %ld", ok[i].in, got, err, ok[i].end);
    }
    assert_int_equal(scan(""), TDM_SIM_GOJSON_EOF);
    assert_int_equal(scan(" \r\n\t"), TDM_SIM_GOJSON_EOF);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct { const char *in, *msg; } bad[] = {
        /* seen from the real server */
        {"{\"model\":", "unexpected EOF"},
        {"{not json", "invalid character 'n' looking for beginning of object key string"},
        {"{\"model\":\"tiny\",\"prompt\":\"hi\",}", "invalid character '}' looking for beginning of object key string"},
        {"{\"model\":\"tiny\" \"prompt\":\"hi\"}", "invalid character '\"' after object key:value pair"},
        {"{\"model\":tiny}", "invalid character 'i' in literal true (expecting 'r')"},
        {"{\"p\":\"\\u00zz\"}", "invalid character 'z' in \\u hexadecimal character escape"},
        /* the rest of Go's scanner */
        {"{\"a\" 1}", "invalid character '1' after object key"},
        {"[1 2]", "invalid character '2' after array element"},
        {"[1,]", "invalid character ']' looking for beginning of value"},
        {"x", "invalid character 'x' looking for beginning of value"},
        {"{\"a\":-x}", "invalid character 'x' in numeric literal"},
        {"{\"a\":1.}", "invalid character '}' after decimal point in numeric literal"},
        {"{\"a\":1e}", "invalid character '}' in exponent of numeric literal"},
        {"{\"a\":\"\\q\"}", "invalid character 'q' in string escape code"},
        {"{\"a\":\"x\ty\"}", "invalid character '\\t' in string literal"},
        {"{\"a\":\"\x01\"}", "invalid character '\\x01' in string literal"},
        {"{\"a\":fx}", "invalid character 'x' in literal false (expecting 'a')"},
        {"{\"a\":nul}", "invalid character '}' in literal null (expecting 'l')"},
        {"{'a':1}", "invalid character '\\'' looking for beginning of object key string"},
        {"{\"a\":\\}", "invalid character '\\\\' looking for beginning of value"},
        {"\x7f", "invalid character '\\x7f' looking for beginning of value"},
        {"\xc3\xa9", "invalid character '\xc3\x83' looking for beginning of value"},
        {"\xa0", "invalid character '\\u00a0' looking for beginning of value"},
        {"[", "unexpected EOF"},
        {"\"abc", "unexpected EOF"},
        {"-", "unexpected EOF"},
        {"tru", "unexpected EOF"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long got = scan(bad[i].in);
        if (got != TDM_SIM_GOJSON_SYNTAX || strcmp(err, bad[i].msg) != 0)
            fail_msg("'%s': got %ld '%s', want '%s'", bad[i].in, got, err, bad[i].msg);
    }
}

static void test_depth(void **state)
{
    (void)state;
    static char deep[10002 * 2];
    memset(deep, '[', 10001);
    deep[10001] = '\0';
    assert_int_equal(scan(deep), TDM_SIM_GOJSON_SYNTAX);
    assert_string_equal(err, "invalid character '[' exceeded max depth");
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    assert_int_equal(tdm_sim_gojson_scan(deep, 20000, err, sizeof err), 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_ends),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
