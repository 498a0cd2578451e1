/* test_http1_chunked.c — the chunked decoder on every vector at once, split at every
 * point (and every pair of points for short vectors), and one byte at a time, as
 * picohttpparser's tests do; malformed input must give the same error whatever the split,
 * and mutated input must never crash and never depend on the split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http1/http1.h"

#define S(lit) lit, sizeof(lit) - 1

typedef struct vec {
    const char *name;
    const char *in;
    size_t len;
    int rc;           /* TDM_HTTP1_DONE, TDM_HTTP1_MORE or an error kind */
    const char *body; /* expected decoded body (NULL: don't check, for errors) */
    size_t body_len;
    size_t trailing;  /* bytes left after the message when DONE */
    uint64_t chunks;
} vec;

typedef struct result {
    int rc;
    tdm_buf body;
    size_t consumed;
    uint64_t chunks;
    size_t calls;
} result;

static int collect(void *ud, const char *data, size_t len)
{
    result *r = ud;
    assert_true(len > 0);
    r->calls++;
    return tdm_buf_append(&r->body, data, len) == 0 ? 0 : 1;
}

/* Feeds in[0..len) cut at the given ascending positions. */
static void decode_cuts(const char *in, size_t len, const size_t *cuts, size_t ncuts, result *r,
                        tdm_http1_data_fn fn)
{
    tdm_http1_chunked d;
    tdm_http1_chunked_init(&d);
    memset(r, 0, sizeof *r);
    size_t pos = 0;
    r->rc = TDM_HTTP1_MORE;
    for (size_t k = 0; k <= ncuts && r->rc == TDM_HTTP1_MORE; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        size_t used = 0;
        r->rc = tdm_http1_chunked_feed(&d, in + pos, end - pos, &used, fn, r);
        assert_true(used <= end - pos);
        if (r->rc == TDM_HTTP1_MORE)
            assert_int_equal(used, end - pos);
        pos += used;
    }
    r->consumed = pos;
    r->chunks = d.chunks;
    if (r->rc < 0) {
        assert_true(strlen(tdm_http1_chunked_error(&d)) > 0);
        /* Errors are sticky. */
        size_t used = 99;
        assert_int_equal(tdm_http1_chunked_feed(&d, "0\r\n\r\n", 5, &used, fn, r), r->rc);
        assert_int_equal(used, 0);
    } else {
        assert_string_equal(tdm_http1_chunked_error(&d), "");
    }
}

static void same_result(const result *a, const result *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->consumed, b->consumed);
    assert_int_equal(a->body.len, b->body.len);
    if (a->body.len)
        assert_memory_equal(a->body.data, b->body.data, a->body.len);
    assert_int_equal(a->chunks, b->chunks);
}

static void check_vector(const vec *v, const result *r)
{
    if (r->rc != v->rc)
        fail_msg("%s: rc %d, expected %d", v->name, r->rc, v->rc);
    if (v->body) {
        if (r->body.len != v->body_len || memcmp(tdm_buf_str(&r->body), v->body, v->body_len) != 0)
            fail_msg("%s: body '%s' (%zu bytes), expected '%.*s'", v->name, tdm_buf_str(&r->body),
                     r->body.len, (int)v->body_len, v->body);
    }
    if (v->rc == TDM_HTTP1_DONE) {
        assert_int_equal(r->consumed, v->len - v->trailing);
        assert_int_equal(r->chunks, v->chunks);
    }
    if (v->rc == TDM_HTTP1_MORE)
        assert_int_equal(r->consumed, v->len);
}

/* at once, every single split, every pair of splits (short inputs), one byte at a time */
static void run_all_splits(const vec *v)
{
    result once, r;
    decode_cuts(v->in, v->len, NULL, 0, &once, collect);
    check_vector(v, &once);

    for (size_t i = 0; i <= v->len; i++) {
        size_t cuts[1] = {i};
        decode_cuts(v->in, v->len, cuts, 1, &r, collect);
        same_result(&once, &r);
        tdm_buf_free(&r.body);
    }
    if (v->len <= 160) {
        for (size_t i = 0; i <= v->len; i++) {
            for (size_t j = i; j <= v->len; j++) {
                size_t cuts[2] = {i, j};
                decode_cuts(v->in, v->len, cuts, 2, &r, collect);
                same_result(&once, &r);
                tdm_buf_free(&r.body);
            }
        }
    }
    size_t *cuts = malloc((v->len + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < v->len; i++)
        cuts[i] = i + 1;
    decode_cuts(v->in, v->len, cuts, v->len ? v->len - 1 : 0, &r, collect);
    same_result(&once, &r);
    /* Byte at a time hands data out a byte at a time: one call per data byte. */
    if (v->rc == TDM_HTTP1_DONE)
        assert_int_equal(r.calls, r.body.len);
    tdm_buf_free(&r.body);
    free(cuts);
    tdm_buf_free(&once.body);
}

static const vec valid[] = {
    {"one chunk", S("5\r\nhello\r\n0\r\n\r\n"), TDM_HTTP1_DONE, S("hello"), 0, 1},
    {"two chunks", S("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"), TDM_HTTP1_DONE, S("abcdefg"), 0, 2},
    {"hex both cases", S("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"), TDM_HTTP1_DONE,
     S("0123456789abcdefghij"), 0, 2},
    {"uppercase hex 1D", S("1D\r\n0123456789abcdef0123456789abc\r\n0\r\n\r\n"), TDM_HTTP1_DONE,
     S("0123456789abcdef0123456789abc"), 0, 1},
    {"extensions", S("5;name=value\r\nhello\r\n0;last\r\n\r\n"), TDM_HTTP1_DONE, S("hello"), 0, 1},
    {"extension with BWS and quoted", S("5 ; a=\"q;x\"\t\r\nhello\r\n0 \r\n\r\n"), TDM_HTTP1_DONE,
     S("hello"), 0, 1},
    {"trailers", S("5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: two words\r\n\r\n"), TDM_HTTP1_DONE,
     S("hello"), 0, 1},
    {"leading zeros", S("0005\r\nhello\r\n0000\r\n\r\n"), TDM_HTTP1_DONE, S("hello"), 0, 1},
    {"data holding CRLF", S("4\r\n\r\n\r\n\r\n0\r\n\r\n"), TDM_HTTP1_DONE, S("\r\n\r\n"), 0, 1},
    {"data holding NUL", S("3\r\na\0b\r\n0\r\n\r\n"), TDM_HTTP1_DONE, S("a\0b"), 0, 1},
    {"empty body", S("0\r\n\r\n"), TDM_HTTP1_DONE, S(""), 0, 0},
    {"bytes after the end", S("1\r\na\r\n0\r\n\r\nHTTP/1.1"), TDM_HTTP1_DONE, S("a"), 8, 1},
    {"ollama ndjson",
     S("51\r\n{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"response\":\"Hi\",\"done\":false}\n\r\n"
       "54\r\n{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.2Z\",\"response\":\" th\xc3\xa9\",\"done\":false}\n\r\n"
       "0\r\n\r\n"),
     TDM_HTTP1_DONE,
     S("{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.1Z\",\"response\":\"Hi\",\"done\":false}\n"
       "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.2Z\",\"response\":\" th\xc3\xa9\",\"done\":false}\n"),
     0, 2},
    {"largest size accepted, truncated", S("7fffffffffffffff\r\nabc"), TDM_HTTP1_MORE, S("abc"), 0, 1},
    {"truncated in data", S("5\r\nhel"), TDM_HTTP1_MORE, S("hel"), 0, 1},
    {"truncated in trailers", S("0\r\nX: 1\r\n"), TDM_HTTP1_MORE, S(""), 0, 0},
    {"truncated before final LF", S("0\r\n\r"), TDM_HTTP1_MORE, S(""), 0, 0},
    {"nothing", S(""), TDM_HTTP1_MORE, S(""), 0, 0},
};

static const vec malformed[] = {
    {"bad hex", S("xyz\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"hex then junk", S("5x\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"0x prefix", S("0x5\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"empty size line", S("\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"negative size", S("-5\r\nhello\r\n0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"plus sign", S("+5\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"space inside size", S("5 5\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"overflow 2^64", S("10000000000000000\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"overflow 2^63", S("8000000000000000\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"overflow all F", S("ffffffffffffffffffff\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"missing CRLF after data", S("5\r\nhelloX\r\n0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S("hello"), 0, 0},
    {"LF only after data", S("5\r\nhello\n0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S("hello"), 0, 0},
    {"CR then junk after data", S("5\r\nhello\rX0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S("hello"), 0, 0},
    {"LF only after size", S("5\nhello\r\n0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"CR without LF after size", S("5\rhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"chunk longer than said", S("3\r\nhello\r\n0\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S("hel"), 0, 0},
    {"control char in extension", S("5;a\x01\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"NUL in extension", S("5;a\0\r\nhello\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"bad final CRLF", S("0\r\n\rX"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"trailer with bare CR", S("0\r\nX: 1\rY\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"control char in trailer", S("0\r\nX:\x02\r\n\r\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
    {"LF only ending the message", S("0\r\n\n"), TDM_HTTP1_ERR_PROTOCOL, S(""), 0, 0},
};

static void test_valid_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        run_all_splits(&valid[i]);
}

static void test_malformed_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        run_all_splits(&malformed[i]);
}

/* A 5000-byte body in one chunk and in many odd-sized chunks. */
static void test_large_bodies(void **state)
{
    (void)state;
    char body[5000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (char)('a' + (i * 7) % 26);
    tdm_buf in = {0};
    assert_int_equal(tdm_buf_printf(&in, "%zx\r\n", sizeof body), 0);
    assert_int_equal(tdm_buf_append(&in, body, sizeof body), 0);
    assert_int_equal(tdm_buf_append_str(&in, "\r\n0\r\n\r\n"), 0);
    vec v = {"5000 in one chunk", in.data, in.len, TDM_HTTP1_DONE, body, sizeof body, 0, 1};
    run_all_splits(&v);

    tdm_buf many = {0};
    size_t off = 0, n = 0;
    while (off < sizeof body) {
        size_t k = 1 + (n * 37) % 301;
        if (k > sizeof body - off)
            k = sizeof body - off;
        assert_int_equal(tdm_buf_printf(&many, "%zX;n=%zu\r\n", k, n), 0);
        assert_int_equal(tdm_buf_append(&many, body + off, k), 0);
        assert_int_equal(tdm_buf_append_str(&many, "\r\n"), 0);
        off += k;
        n++;
    }
    assert_int_equal(tdm_buf_append_str(&many, "0\r\nT: x\r\n\r\n"), 0);
    vec w = {"5000 in odd chunks", many.data, many.len, TDM_HTTP1_DONE, body, sizeof body, 0, n};
    run_all_splits(&w);
    tdm_buf_free(&in);
    tdm_buf_free(&many);
}

static void test_limits(void **state)
{
    (void)state;
    tdm_buf in = {0};
    /* an extension longer than allowed */
    assert_int_equal(tdm_buf_append_str(&in, "5;"), 0);
    for (unsigned i = 0; i < TDM_HTTP1_MAX_CHUNK_EXT + 10; i++)
        assert_int_equal(tdm_buf_append(&in, "a", 1), 0);
    assert_int_equal(tdm_buf_append_str(&in, "\r\nhello\r\n0\r\n\r\n"), 0);
    vec v = {"extension too long", in.data, in.len, TDM_HTTP1_ERR_TOO_LARGE, "", 0, 0, 0};
    run_all_splits(&v);
    /* endless leading zeros are bounded by the same limit */
    tdm_buf_reset(&in);
    for (unsigned i = 0; i < TDM_HTTP1_MAX_CHUNK_EXT + 10; i++)
        assert_int_equal(tdm_buf_append(&in, "0", 1), 0);
    vec z = {"endless zeros", in.data, in.len, TDM_HTTP1_ERR_TOO_LARGE, "", 0, 0, 0};
    run_all_splits(&z);
    /* trailers larger than allowed */
    tdm_buf_reset(&in);
    assert_int_equal(tdm_buf_append_str(&in, "0\r\n"), 0);
    for (unsigned i = 0; i < TDM_HTTP1_MAX_TRAILERS / 100 + 10; i++)
        assert_int_equal(tdm_buf_printf(&in, "X-%04u: %090u\r\n", i, i), 0);
    assert_int_equal(tdm_buf_append_str(&in, "\r\n"), 0);
    vec t = {"trailers too large", in.data, in.len, TDM_HTTP1_ERR_TOO_LARGE, "", 0, 0, 0};
    run_all_splits(&t);
    tdm_buf_free(&in);
}

static int refuse_after_3(void *ud, const char *data, size_t len)
{
    result *r = ud;
    (void)data;
    r->calls++;
    tdm_buf_append(&r->body, data, len);
    return r->body.len >= 3 ? 1 : 0;
}

static void test_callback_abort(void **state)
{
    (void)state;
    static const char in[] = "5\r\nhello\r\n0\r\n\r\n";
    result r;
    decode_cuts(in, sizeof in - 1, NULL, 0, &r, refuse_after_3);
    assert_int_equal(r.rc, TDM_HTTP1_ERR_ABORTED);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.consumed, 8); /* the slice handed out counts as consumed */
    tdm_buf_free(&r.body);
}

/* Random mutations of valid vectors: never a crash, and the outcome (result, decoded
 * bytes, where it stopped) never depends on how the input was split. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_mutations_never_depend_on_split(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789abcdefABCDEFxX;= \t\r\n\0-+";
    char buf[256];
    for (int round = 0; round < 3000; round++) {
        const vec *v = &valid[next_rand() % (sizeof valid / sizeof valid[0])];
        size_t len = v->len < sizeof buf ? v->len : sizeof buf;
        memcpy(buf, v->in, len);
        int edits = 1 + (int)(next_rand() % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next_rand() % len;
            switch (next_rand() % 3) {
            case 0: buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)]; break;
            case 1: buf[at] = (char)(next_rand() & 0xff); break;
            default: /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            }
        }
        result once, r;
        decode_cuts(buf, len, NULL, 0, &once, collect);
        size_t cut[2] = {next_rand() % (len + 1), 0};
        cut[1] = cut[0] + next_rand() % (len - cut[0] + 1);
        decode_cuts(buf, len, cut, 2, &r, collect);
        same_result(&once, &r);
        tdm_buf_free(&r.body);
        size_t bytes[256];
        for (size_t i = 0; i < len; i++)
            bytes[i] = i + 1;
        decode_cuts(buf, len, bytes, len ? len - 1 : 0, &r, collect);
        same_result(&once, &r);
        tdm_buf_free(&r.body);
        tdm_buf_free(&once.body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vectors),
        cmocka_unit_test(test_malformed_vectors),
        cmocka_unit_test(test_large_bodies),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_callback_abort),
        cmocka_unit_test(test_mutations_never_depend_on_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
