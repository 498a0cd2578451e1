/* test_core_utf8.c — UTF-8 decoding, validation and repair (src/core/utf8.c), and that a
 * record whose text is not valid UTF-8 is still written (repaired) instead of losing the
 * run. The decoder is checked against an independent one written from the Unicode
 * standard's table of well-formed byte sequences (the same table Go's utf8 package
 * encodes), since the simulator's Go-compatible escaping depends on it too. */
#include <jansson.h>
#include <setjmp.h>
#include <stdbool.h>
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

/* Unicode 15, Table 3-7 (well-formed UTF-8 byte sequences): the second byte's range
 * depends on the lead byte; the others are 80..BF. A truncated sequence is invalid. */
static size_t table_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c == 0xE0)
        n = 3, lo = 0xA0;
    else if (c == 0xED)
        n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF)
        n = 3;
    else if (c == 0xF0)
        n = 4, lo = 0x90;
    else if (c == 0xF4)
        n = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3)
        n = 4;
    else
        return 0;
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    uint32_t v = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return n;
}

/* Every lead byte, followed by up to three bytes from the values where the table's
 * ranges begin and end (and some beyond), at every length the input could be cut to. */
static void test_decode_matches_the_table(void **state)
{
    (void)state;
    static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                         0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
    const size_t ne = sizeof edge;
    size_t checked = 0, valid = 0;
    for (unsigned lead = 0; lead < 256; lead++) {
        for (size_t combo = 0; combo < ne * ne * ne; combo++) {
            unsigned char s[4] = {(unsigned char)lead, edge[combo % ne], edge[combo / ne % ne],
                                  edge[combo / (ne * ne)]};
            for (size_t left = 1; left <= 4; left++) {
                uint32_t want_cp = 0xFFFFFFFF, got_cp = 0xFFFFFFFF;
                size_t want = table_decode(s, left, &want_cp);
                size_t got = tdm_utf8_decode(s, left, &got_cp);
                if (got != want || (want && got_cp != want_cp))
                    fail_msg("bytes %02x %02x %02x %02x, %zu readable: length %zu cp %x, want %zu cp %x", s[0],
                             s[1], s[2], s[3], left, got, got_cp, want, want_cp);
                /* the C-string variant refuses NUL and agrees otherwise */
                assert_int_equal(tdm_utf8_seq_len(s, left), lead == 0 ? 0 : want);
                checked++;
                valid += want != 0;
            }
        }
    }
    assert_int_equal(checked, 256 * ne * ne * ne * 4);
    assert_true(valid > 0 && valid < checked);
}

static void test_named_edge_cases(void **state)
{
    (void)state;
    struct {
        const char *s;
        size_t len; /* 0: invalid */
        uint32_t cp;
    } cases[] = {
        {"\x7f", 1, 0x7F},
        {"\xc2\x80", 2, 0x80},           {"\xdf\xbf", 2, 0x7FF},
        {"\xe0\xa0\x80", 3, 0x800},      {"\xed\x9f\xbf", 3, 0xD7FF},
        {"\xee\x80\x80", 3, 0xE000},     {"\xef\xbf\xbd", 3, 0xFFFD},
        {"\xef\xbf\xbf", 3, 0xFFFF},     {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf4\x8f\xbf\xbf", 4, 0x10FFFF},
        /* overlong forms of '/' and of the smallest value of the next length */
        {"\xc0\xaf", 0, 0},              {"\xe0\x80\xaf", 0, 0},
        {"\xf0\x80\x80\xaf", 0, 0},      {"\xc1\xbf", 0, 0},
        {"\xe0\x9f\xbf", 0, 0},          {"\xf0\x8f\xbf\xbf", 0, 0},
        /* surrogates, beyond U+10FFFF, bytes that never start a sequence */
        {"\xed\xa0\x80", 0, 0},          {"\xed\xbf\xbf", 0, 0},
        {"\xf4\x90\x80\x80", 0, 0},      {"\xf5\x80\x80\x80", 0, 0},
        {"\xf8\x88\x80\x80", 0, 0},      {"\xfe", 0, 0},
        {"\xff", 0, 0},                  {"\x80", 0, 0},
        {"\xbf", 0, 0},
        /* cut short, or a continuation byte missing */
        {"\xc3", 0, 0},                  {"\xe6\x97", 0, 0},
        {"\xf0\x9f\x99", 0, 0},          {"\xe6\x41\x97", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0;
        size_t n = tdm_utf8_decode((const unsigned char *)cases[i].s, strlen(cases[i].s), &cp);
        assert_int_equal(n, cases[i].len);
        if (n)
            assert_int_equal(cp, cases[i].cp);
        assert_true(tdm_utf8_valid(cases[i].s, strlen(cases[i].s)) == (n == strlen(cases[i].s)));
    }
    uint32_t cp = 1;
    assert_int_equal(tdm_utf8_decode((const unsigned char *)"", 1, &cp), 1); /* U+0000 decodes */
    assert_int_equal(cp, 0);
    assert_int_equal(tdm_utf8_seq_len((const unsigned char *)"", 1), 0);  /* but is no C text */
}

/* Text cut at every byte (as a server cuts tokens): a prefix is valid exactly at a
 * character boundary, and repair turns each byte of the cut character into one U+FFFD,
 * on both sides of the cut, leaving every whole character as it was. */
static void test_split_at_every_byte(void **state)
{
    (void)state;
    const char text[] = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x99\x82z\xef\xbf\xbd";
    const size_t len = sizeof text - 1;
    const bool boundary[] = {1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1};
    for (size_t k = 0; k <= len; k++) {
        assert_true(tdm_utf8_valid(text, k) == boundary[k]);
        size_t start = k, end = k; /* the character the cut falls in: [start, end) */
        while (!boundary[start])
            start--;
        while (!boundary[end])
            end++;
        char want_head[64], want_tail[64];
        size_t h = 0, t = 0;
        memcpy(want_head, text, start), h = start;
        for (size_t i = start; i < k; i++)
            memcpy(want_head + h, "\xef\xbf\xbd", 3), h += 3;
        for (size_t i = k; i < end; i++)
            memcpy(want_tail + t, "\xef\xbf\xbd", 3), t += 3;
        memcpy(want_tail + t, text + end, len - end), t += len - end;
        size_t n;
        char *head = tdm_utf8_sanitize(text, k, &n);
        assert_non_null(head);
        assert_int_equal(n, h);
        assert_memory_equal(head, want_head, h);
        free(head);
        char *tail = tdm_utf8_sanitize(text + k, len - k, &n);
        assert_non_null(tail);
        assert_int_equal(n, t);
        assert_memory_equal(tail, want_tail, t);
        free(tail);
    }
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
        cmocka_unit_test(test_decode_matches_the_table),
        cmocka_unit_test(test_named_edge_cases),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_record_with_invalid_text_is_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
