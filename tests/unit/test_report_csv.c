/* test_report_csv.c — text from results embedded in the report's formats: CSV fields
 * (RFC 4180 quoting), numbers in CSV (undefined is an empty field), Markdown (the
 * core's escaping plus control characters and '&'), and the UTF-8 clean-up applied
 * before a name goes into JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "report/model.h"
#include "report/output.h"

static void csv_is(const char *in, const char *want)
{
    tdm_buf b = {0};
    tdm_rep_csv_field(&b, in);
    assert_string_equal(tdm_buf_str(&b), want);
    tdm_buf_free(&b);
}

static void test_csv_field(void **state)
{
    (void)state;
    csv_is("tokio-default", "tokio-default");
    csv_is("", "");
    csv_is(NULL, "");
    csv_is("a,b", "\"a,b\"");
    csv_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    csv_is("two\nlines", "\"two\nlines\"");
    csv_is("cr\rhere", "\"cr\rhere\"");
    csv_is(" padded", "\" padded\"");
    csv_is("padded ", "\"padded \"");
    csv_is("in ner", "in ner");
    csv_is("\"", "\"\"\"\"");
    csv_is("=1+1", "=1+1"); /* kept as written: the tables are data, not spreadsheets */
    csv_is("caf\xc3\xa9", "caf\xc3\xa9");
}

static void num_is(double v, const char *want)
{
    tdm_buf b = {0};
    tdm_rep_csv_num(&b, v);
    assert_string_equal(tdm_buf_str(&b), want);
    tdm_buf_free(&b);
}

static void test_csv_num(void **state)
{
    (void)state;
    num_is(NAN, "");
    num_is(INFINITY, "");
    num_is(-INFINITY, "");
    num_is(-0.0, "0");
    num_is(0.0, "0");
    num_is(89.97, "89.97");
    num_is(1.0 / 3.0, "0.33333333333333331");
    num_is(0.1 + 0.2, "0.30000000000000004");
    num_is(0.3, "0.3");
    num_is(1e-12, "1e-12");
    num_is(123456789012.0, "123456789012");
}

static void md_is(const char *in, const char *want)
{
    tdm_buf b = {0};
    tdm_rep_md_text(&b, in);
    assert_string_equal(tdm_buf_str(&b), want);
    tdm_buf_free(&b);
}

static void test_markdown(void **state)
{
    (void)state;
    md_is("smol-1kb", "smol-1kb");
    md_is("chimera_homo", "chimera\\_homo");
    md_is("a | b", "a \\| b");
    md_is("*bold* `code` [link](x) <script>", "\\*bold\\* \\`code\\` \\[link\\](x) \\<script\\>");
    md_is("line\nbreak\r\n", "line break  ");
    md_is("tab\there\x01", "tab here ");
    md_is("R&D &amp;", "R&amp;D &amp;amp;");
    md_is("back\\slash", "back\\\\slash");
    md_is(NULL, "");
}

static void test_utf8_clean(void **state)
{
    (void)state;
    char *s = tdm_rep_utf8_clean("caf\xc3\xa9 ok");
    assert_string_equal(s, "caf\xc3\xa9 ok");
    free(s);
    s = tdm_rep_utf8_clean("bad\xff byte");
    assert_string_equal(s, "bad\xef\xbf\xbd byte");
    free(s);
    s = tdm_rep_utf8_clean("cut \xe2\x82"); /* a truncated sequence at the end */
    assert_string_equal(s, "cut \xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = tdm_rep_utf8_clean("\xc0\xaf overlong, \xed\xa0\x80 surrogate");
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd overlong, \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate");
    free(s);
    s = tdm_rep_utf8_clean(NULL);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_csv_num),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_utf8_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
