/* test_core_ndjson.c — unit tests for the NDJSON framer (src/core/ndjson.c).
 *
 * Every corpus is fed at once, split in two at every byte, split in three at every pair
 * of bytes, and one byte at a time, through both the copying and the in-place entry
 * points: a transport may cut a read anywhere, including inside a UTF-8 character or
 * between '\r' and '\n', and the lines handed out must be the same every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ndjson.h"

#define MAX_LINES 2048

/* What the callback saw. */
typedef struct collected {
    char *lines[MAX_LINES];
    size_t lens[MAX_LINES];
    const char *ptrs[MAX_LINES]; /* where each line was handed out */
    size_t n;
    size_t stop_at; /* return stop_rc from the callback on this line (1-based); 0: never */
    int stop_rc;
} collected;

/* Keeps a copy of one handed-out line; returns what the callback must return. */
static int keep_line(collected *c, const char *line, size_t len)
{
    assert_true(len > 0);
    assert_null(memchr(line, '\n', len));
    assert_true(c->n < MAX_LINES);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, line, len);
    copy[len] = '\0';
    c->lines[c->n] = copy;
    c->lens[c->n] = len;
    c->ptrs[c->n] = line;
    c->n++;
    if (c->stop_at && c->n == c->stop_at)
        return c->stop_rc;
    return 0;
}

/* For tdm_ndjson_feed_spans: no NUL promised, so none is looked at (the pieces fed in
 * that mode are allocated to their exact size: a read past a line's end there is a
 * heap overflow the sanitizer runs report). */
static int collect_span(void *ctx, const char *line, size_t len)
{
    return keep_line(ctx, line, len);
}

/* The contract of the other feeds: NUL-terminated at len, no line end inside, never
 * empty. */
static int collect(void *ctx, const char *line, size_t len)
{
    assert_int_equal(line[len], '\0');
    return keep_line(ctx, line, len);
}

static void collected_free(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    c->n = 0;
}

static void assert_lines(const collected *c, const char *const *want, size_t nwant)
{
    assert_int_equal(c->n, nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(c->lens[i], strlen(want[i]));
        assert_memory_equal(c->lines[i], want[i], c->lens[i]);
    }
}

enum mode { MODE_COPY, MODE_INPLACE, MODE_SPANS };

/* Feeds data[from, to) as one read; the in-place mode gets its own writable copy of the
 * piece, as a read buffer would be. */
static int feed_piece(tdm_ndjson *f, enum mode m, const char *data, size_t from, size_t to,
                      collected *c)
{
    if (m == MODE_COPY)
        return tdm_ndjson_feed(f, data + from, to - from, collect, c);
    if (m == MODE_SPANS) {
        char *exact = malloc(to - from ? to - from : 1);
        assert_non_null(exact);
        memcpy(exact, data + from, to - from);
        int rc = tdm_ndjson_feed_spans(f, exact, to - from, collect_span, c);
        free(exact);
        return rc;
    }
    char *w = malloc(to - from + 1); /* +1: malloc(0) may return NULL */
    assert_non_null(w);
    memcpy(w, data + from, to - from);
    int rc = tdm_ndjson_feed_inplace(f, w, to - from, collect, c);
    free(w);
    return rc;
}

/* Feeds data cut at the given offsets (ascending, within len) and checks the lines and
 * the pending count. */
static void run_split(enum mode m, const char *data, size_t len, const size_t *cuts, size_t ncuts,
                      const char *const *want, size_t nwant, size_t want_pending)
{
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 0);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        assert_int_equal(feed_piece(&f, m, data, from, to, &c), TDM_NDJSON_OK);
        from = to;
    }
    assert_lines(&c, want, nwant);
    assert_int_equal(f.lines, nwant);
    assert_int_equal(tdm_ndjson_pending(&f), want_pending);
    collected_free(&c);
    tdm_ndjson_free(&f);
}

static void run_all_splits(const char *data, const char *const *want, size_t nwant,
                           size_t want_pending)
{
    size_t len = strlen(data);
    for (int m = MODE_COPY; m <= MODE_SPANS; m++) {
        run_split((enum mode)m, data, len, NULL, 0, want, nwant, want_pending);
        for (size_t i = 0; i <= len; i++)
            run_split((enum mode)m, data, len, &i, 1, want, nwant, want_pending);
        for (size_t i = 0; i <= len; i++)
            for (size_t j = i; j <= len; j++) {
                size_t cuts[2] = {i, j};
                run_split((enum mode)m, data, len, cuts, 2, want, nwant, want_pending);
            }
        /* One byte at a time. */
        size_t *cuts = malloc((len + 1) * sizeof *cuts);
        assert_non_null(cuts);
        for (size_t i = 0; i < len; i++)
            cuts[i] = i + 1;
        run_split((enum mode)m, data, len, cuts, len ? len - 1 : 0, want, nwant, want_pending);
        free(cuts);
    }
}

/* Multi-byte UTF-8 (2, 3 and 4 bytes), CRLF, empty lines of both kinds, a '\r' inside a
 * line, and an unterminated tail. */
static const char corpus[] =
    "{\"model\":\"llama3.2\",\"response\":\"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\"}\n"
    "\n"
    "second line\r\n"
    "\r\n"
    "  spaced  \n"
    "a\n"
    "\n\n"
    "x\ry\n"
    "\xf0\x9f\x8e\x89\r\n"
    "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\n"
    "tail \xe6\x97\xa5";
static const char *const corpus_lines[] = {
    "{\"model\":\"llama3.2\",\"response\":\"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89\"}",
    "second line",
    "  spaced  ",
    "a",
    "x\ry",
    "\xf0\x9f\x8e\x89",
    "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89",
};
#define NCORPUS (sizeof corpus_lines / sizeof corpus_lines[0])

static void test_corpus_every_split(void **state)
{
    (void)state;
    run_all_splits(corpus, corpus_lines, NCORPUS, strlen("tail \xe6\x97\xa5"));
}

/* The same corpus ending on a line end: nothing may stay pending. */
static void test_corpus_terminated(void **state)
{
    (void)state;
    char data[sizeof corpus + 2];
    snprintf(data, sizeof data, "%s\r\n", corpus);
    const char *want[NCORPUS + 1];
    memcpy(want, corpus_lines, sizeof corpus_lines);
    want[NCORPUS] = "tail \xe6\x97\xa5";
    run_all_splits(data, want, NCORPUS + 1, 0);
}

/* Real Ollama framing: one object per chunk, but reads merge and split them. */
static void test_ollama_stream_every_split(void **state)
{
    (void)state;
    static const char *const want[] = {
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.123456789Z\",\"response\":\"Hel\",\"done\":false}",
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.150000000Z\",\"response\":\"lo \xe6\x97\xa5\",\"done\":false}",
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.2Z\",\"response\":\"\",\"done\":true,"
        "\"done_reason\":\"stop\",\"context\":[1,2,3],\"total_duration\":5191566416,\"eval_count\":2}",
    };
    char data[1024] = "";
    for (size_t i = 0; i < 3; i++) {
        strcat(data, want[i]);
        strcat(data, "\n");
    }
    run_all_splits(data, want, 3, 0);
}

static void test_only_empty_lines(void **state)
{
    (void)state;
    run_all_splits("\n\r\n\n\r\n\r\n", NULL, 0, 0);
    run_all_splits("", NULL, 0, 0);
    run_all_splits("\r", NULL, 0, 1); /* could still become "\r\n" */
}

static void test_empty_feed(void **state)
{
    (void)state;
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 0);
    assert_int_equal(tdm_ndjson_feed(&f, NULL, 0, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_feed_inplace(&f, NULL, 0, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(tdm_ndjson_pending(&f), 0);
    tdm_ndjson_free(&f);
}

static void test_default_max_line(void **state)
{
    (void)state;
    tdm_ndjson f;
    tdm_ndjson_init(&f, 0);
    assert_int_equal(f.max_line, TDM_NDJSON_DEFAULT_MAX_LINE);
    assert_int_equal(f.lines, 0);
    assert_int_equal(f.error, 0);
    tdm_ndjson_free(&f);
    tdm_ndjson_init(&f, 100);
    assert_int_equal(f.max_line, 100);
    tdm_ndjson_free(&f);
}

static void test_pending_bytes(void **state)
{
    (void)state;
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 0);
    assert_int_equal(tdm_ndjson_feed(&f, "abc", 3, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_pending(&f), 3);
    assert_int_equal(tdm_ndjson_feed(&f, "de", 2, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_pending(&f), 5);
    assert_int_equal(c.n, 0);
    assert_int_equal(tdm_ndjson_feed(&f, "f\r", 2, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_pending(&f), 7); /* the '\r' is held until its '\n' */
    assert_int_equal(tdm_ndjson_feed(&f, "\nxy", 3, collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_pending(&f), 2);
    static const char *const want[] = {"abcdef"};
    assert_lines(&c, want, 1);
    /* A '\r' not followed by '\n' belongs to the line. */
    assert_int_equal(tdm_ndjson_feed(&f, "\rz\n", 3, collect, &c), TDM_NDJSON_OK);
    static const char *const want2[] = {"abcdef", "xy\rz"};
    assert_lines(&c, want2, 2);
    assert_int_equal(tdm_ndjson_pending(&f), 0);
    assert_int_equal(f.lines, 2);
    collected_free(&c);
    tdm_ndjson_free(&f);
}

/* Lines that lie whole in an in-place feed are handed out from the input itself; only a
 * line begun in an earlier feed comes from the framer's buffer. */
static void test_inplace_is_zero_copy(void **state)
{
    (void)state;
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 0);
    char buf1[] = "one\ntwo\r\nthr";
    char buf2[] = "ee\nfour\n";
    assert_int_equal(tdm_ndjson_feed_inplace(&f, buf1, strlen(buf1), collect, &c), TDM_NDJSON_OK);
    assert_int_equal(tdm_ndjson_feed_inplace(&f, buf2, strlen(buf2), collect, &c), TDM_NDJSON_OK);
    static const char *const want[] = {"one", "two", "three", "four"};
    assert_lines(&c, want, 4);
    assert_ptr_equal(c.ptrs[0], buf1);
    assert_ptr_equal(c.ptrs[1], buf1 + 4);
    assert_true(c.ptrs[2] < buf2 || c.ptrs[2] >= buf2 + sizeof buf2); /* assembled */
    assert_ptr_equal(c.ptrs[3], buf2 + 3);
    /* Only the terminators were written. */
    assert_memory_equal(buf1, "one\0two\0\nthr", sizeof buf1);
    assert_memory_equal(buf2, "ee\nfour\0", sizeof buf2);
    collected_free(&c);
    tdm_ndjson_free(&f);
}

/* The copying and the span feeds never write to their input: a string literal would
 * fault. The span feed hands whole lines out where they lie; a line begun in an earlier
 * feed comes from the framer's own buffer in both. */
static void test_const_feeds_never_write_input(void **state)
{
    (void)state;
    const char *lit = "alpha\r\nbeta\ngam";
    static const char *const want[] = {"alpha", "beta", "gamma"};
    for (int spans = 0; spans <= 1; spans++) {
        tdm_ndjson f;
        collected c = {0};
        tdm_ndjson_init(&f, 0);
        if (spans) {
            assert_int_equal(tdm_ndjson_feed_spans(&f, lit, strlen(lit), collect_span, &c), TDM_NDJSON_OK);
            assert_int_equal(tdm_ndjson_feed_spans(&f, "ma\n", 3, collect_span, &c), TDM_NDJSON_OK);
        } else {
            assert_int_equal(tdm_ndjson_feed(&f, lit, strlen(lit), collect, &c), TDM_NDJSON_OK);
            assert_int_equal(tdm_ndjson_feed(&f, "ma\n", 3, collect, &c), TDM_NDJSON_OK);
        }
        assert_lines(&c, want, 3);
        if (spans) {
            assert_ptr_equal(c.ptrs[0], lit);
            assert_ptr_equal(c.ptrs[1], lit + 7);
            uintptr_t third = (uintptr_t)c.ptrs[2], start = (uintptr_t)lit;
            assert_true(third < start || third > start + strlen(lit)); /* the framer's buffer */
        }
        assert_string_equal(lit, "alpha\r\nbeta\ngam");
        collected_free(&c);
        tdm_ndjson_free(&f);
    }
}

static void test_many_lines_one_feed(void **state)
{
    (void)state;
    enum { N = 1500 };
    char *data = malloc(N * 16);
    assert_non_null(data);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(data + len, "{\"i\":%d}%s", i, i % 3 ? "\n" : "\r\n");
    for (int m = MODE_COPY; m <= MODE_SPANS; m++) {
        tdm_ndjson f;
        collected c = {0};
        tdm_ndjson_init(&f, 0);
        assert_int_equal(feed_piece(&f, (enum mode)m, data, 0, len, &c), TDM_NDJSON_OK);
        assert_int_equal(c.n, N);
        assert_int_equal(f.lines, N);
        for (int i = 0; i < N; i++) {
            char want[16];
            snprintf(want, sizeof want, "{\"i\":%d}", i);
            assert_string_equal(c.lines[i], want);
        }
        assert_int_equal(tdm_ndjson_pending(&f), 0);
        collected_free(&c);
        tdm_ndjson_free(&f);
    }
    free(data);
}

/* A line of exactly max_line bytes passes, with "\n" or "\r\n", at once or bytewise. */
static void test_max_line_exact(void **state)
{
    (void)state;
    static const char *const inputs[] = {"12345678\n", "12345678\r\n"};
    for (int m = MODE_COPY; m <= MODE_SPANS; m++)
        for (size_t k = 0; k < 2; k++)
            for (int bytewise = 0; bytewise < 2; bytewise++) {
                tdm_ndjson f;
                collected c = {0};
                tdm_ndjson_init(&f, 8);
                size_t len = strlen(inputs[k]);
                if (bytewise)
                    for (size_t i = 0; i < len; i++)
                        assert_int_equal(feed_piece(&f, (enum mode)m, inputs[k], i, i + 1, &c),
                                         TDM_NDJSON_OK);
                else
                    assert_int_equal(feed_piece(&f, (enum mode)m, inputs[k], 0, len, &c),
                                     TDM_NDJSON_OK);
                static const char *const want[] = {"12345678"};
                assert_lines(&c, want, 1);
                collected_free(&c);
                tdm_ndjson_free(&f);
            }
}

/* Feeds data at every two-way split (and bytewise); the lines before the long one must
 * arrive, then TOO_LONG, which stays. */
static void check_too_long(const char *data, size_t max_line, const char *const *want,
                           size_t nwant)
{
    size_t len = strlen(data);
    for (int m = MODE_COPY; m <= MODE_SPANS; m++)
        for (size_t cut = 0; cut <= len + 1; cut++) { /* cut == len + 1: bytewise */
            tdm_ndjson f;
            collected c = {0};
            tdm_ndjson_init(&f, max_line);
            int rc = TDM_NDJSON_OK;
            if (cut <= len) {
                rc = feed_piece(&f, (enum mode)m, data, 0, cut, &c);
                if (rc == TDM_NDJSON_OK)
                    rc = feed_piece(&f, (enum mode)m, data, cut, len, &c);
            } else {
                for (size_t i = 0; i < len && rc == TDM_NDJSON_OK; i++)
                    rc = feed_piece(&f, (enum mode)m, data, i, i + 1, &c);
            }
            assert_int_equal(rc, TDM_NDJSON_ERR_TOO_LONG);
            assert_int_equal(f.error, TDM_NDJSON_ERR_TOO_LONG);
            assert_lines(&c, want, nwant);
            /* Sticky: nothing more is delivered. */
            assert_int_equal(tdm_ndjson_feed(&f, "ok\n", 3, collect, &c), TDM_NDJSON_ERR_TOO_LONG);
            assert_int_equal(c.n, nwant);
            collected_free(&c);
            tdm_ndjson_free(&f);
        }
}

static void test_too_long_terminated(void **state)
{
    (void)state;
    static const char *const want[] = {"ok", "12345678"};
    check_too_long("ok\n12345678\n123456789\nlater\n", 8, want, 2);
    check_too_long("ok\r\n12345678\r\n123456789\r\nlater\n", 8, want, 2);
}

/* The stream never sends '\n': the error comes as soon as the line is too long, without
 * waiting for its end, and without buffering more than max_line + 1 bytes. */
static void test_too_long_unterminated(void **state)
{
    (void)state;
    static const char *const want[] = {"ok"};
    check_too_long("ok\n123456789", 8, want, 1);
    check_too_long("ok\n12345678\rx", 8, want, 1); /* a '\r' not ending the line counts */

    /* Bytewise, the error comes on exactly the 9th byte of the line. */
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(tdm_ndjson_feed(&f, "x", 1, collect, &c), TDM_NDJSON_OK);
        assert_int_equal(tdm_ndjson_pending(&f), (size_t)i + 1);
    }
    assert_int_equal(tdm_ndjson_feed(&f, "\r", 1, collect, &c), TDM_NDJSON_OK); /* maybe "\r\n" */
    assert_int_equal(tdm_ndjson_feed(&f, "y", 1, collect, &c), TDM_NDJSON_ERR_TOO_LONG);
    assert_int_equal(tdm_ndjson_pending(&f), 0); /* the buffer is released at once */
    assert_int_equal(c.n, 0);
    tdm_ndjson_free(&f);

    /* A single huge read without '\n'. */
    size_t big = 1u << 20;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, 'a', big);
    tdm_ndjson_init(&f, 4096);
    assert_int_equal(tdm_ndjson_feed(&f, data, big, collect, &c), TDM_NDJSON_ERR_TOO_LONG);
    assert_int_equal(tdm_ndjson_feed_inplace(&f, data, big, collect, &c), TDM_NDJSON_ERR_TOO_LONG);
    tdm_ndjson_free(&f);
    free(data);
}

/* A non-zero callback return stops the feed there and is returned; the rest of the feed
 * is dropped, whether the stopping line lay whole in the feed or was assembled. */
static void test_callback_stop(void **state)
{
    (void)state;
    for (int m = MODE_COPY; m <= MODE_SPANS; m++) {
        tdm_ndjson f;
        collected c = {.stop_at = 2, .stop_rc = 7};
        tdm_ndjson_init(&f, 0);
        const char *data = "a\nb\nc\nd";
        assert_int_equal(feed_piece(&f, (enum mode)m, data, 0, strlen(data), &c), 7);
        static const char *const want[] = {"a", "b"};
        assert_lines(&c, want, 2);
        assert_int_equal(f.lines, 2);
        assert_int_equal(tdm_ndjson_pending(&f), 0);
        assert_int_equal(f.error, 0); /* a stop is not an error */
        collected_free(&c);
        tdm_ndjson_free(&f);

        /* Stopping on a line completed from pending bytes. */
        collected c2 = {.stop_at = 1, .stop_rc = 3};
        tdm_ndjson_init(&f, 0);
        assert_int_equal(feed_piece(&f, (enum mode)m, "{\"err", 0, 5, &c2), TDM_NDJSON_OK);
        assert_int_equal(feed_piece(&f, (enum mode)m, "or\":\"x\"}\nnext\npart", 0, 18, &c2), 3);
        static const char *const want2[] = {"{\"error\":\"x\"}"};
        assert_lines(&c2, want2, 1);
        assert_int_equal(tdm_ndjson_pending(&f), 0);
        collected_free(&c2);
        tdm_ndjson_free(&f);
    }
}

static void test_free_twice(void **state)
{
    (void)state;
    tdm_ndjson f;
    collected c = {0};
    tdm_ndjson_init(&f, 0);
    assert_int_equal(tdm_ndjson_feed(&f, "partial", 7, collect, &c), TDM_NDJSON_OK);
    tdm_ndjson_free(&f);
    tdm_ndjson_free(&f);
    assert_int_equal(tdm_ndjson_pending(&f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_every_split),
        cmocka_unit_test(test_corpus_terminated),
        cmocka_unit_test(test_ollama_stream_every_split),
        cmocka_unit_test(test_only_empty_lines),
        cmocka_unit_test(test_empty_feed),
        cmocka_unit_test(test_default_max_line),
        cmocka_unit_test(test_pending_bytes),
        cmocka_unit_test(test_inplace_is_zero_copy),
        cmocka_unit_test(test_const_feeds_never_write_input),
        cmocka_unit_test(test_many_lines_one_feed),
        cmocka_unit_test(test_max_line_exact),
        cmocka_unit_test(test_too_long_terminated),
        cmocka_unit_test(test_too_long_unterminated),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_free_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
