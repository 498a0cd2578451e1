/* fuzz_response.c — the HTTP/1.1 response parser (src/http1/response.c: status line,
 * headers, body framing, with chunked.c behind it) on any bytes, read as a sequence of
 * responses on one keep-alive connection, then the peer's close.
 *
 * Checks, on any input:
 * - the parser reports the same statuses, headers, bodies, framing results, byte counts,
 *   errors and end-of-stream verdict whether the input comes whole, one byte at a time, or
 *   in pieces cut at input-derived points; every piece lies in a block of its own exact
 *   size, so a read past it is an AddressSanitizer error;
 * - no callback runs for a head that turns out malformed; header names are non-empty
 *   tokens, values hold no control character other than HTAB and no leading or trailing
 *   blank; a final status is 200..999; *consumed never exceeds what was given;
 * - a body of known length is exactly that long; a body delimited by close never allows
 *   keep-alive; errors are sticky.
 * One input in four gets a small header limit, one in two is read as the answer to HEAD. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "http1/http1.h"
#include "fuzz_common.h"

typedef struct sink {
    tdm_buf log;      /* the transcript compared between the runs */
    tdm_buf body;     /* the current response's body, logged when it ends */
    bool saw_status;  /* on_status ran for the current response */
    const char *lo, *hi;
} sink;

static void log_bytes(sink *s, const void *p, size_t n)
{
    FUZZ_CHECK(tdm_buf_append(&s->log, p, n) == 0, "out of memory");
}

static bool token_char(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int on_status(void *ud, int status)
{
    sink *s = ud;
    FUZZ_CHECK(status >= 200 && status <= 999, "final status %d", status);
    FUZZ_CHECK(!s->saw_status, "two final statuses for one response");
    s->saw_status = true;
    log_bytes(s, "S", 1);
    log_bytes(s, &status, sizeof status);
    return 0;
}

static int on_header(void *ud, const char *name, const char *value)
{
    sink *s = ud;
    size_t nl = strlen(name), vl = strlen(value);
    FUZZ_CHECK(s->saw_status, "header before the status");
    FUZZ_CHECK(nl > 0, "empty header name");
    for (size_t i = 0; i < nl; i++)
        FUZZ_CHECK(token_char((unsigned char)name[i]), "bad byte 0x%02x in header name",
                   (unsigned char)name[i]);
    for (size_t i = 0; i < vl; i++) {
        unsigned char ch = (unsigned char)value[i];
        FUZZ_CHECK(ch == '\t' || (ch >= 0x20 && ch != 0x7f), "control byte 0x%02x in a value", ch);
    }
    if (vl > 0)
        FUZZ_CHECK(value[0] != ' ' && value[0] != '\t' && value[vl - 1] != ' ' &&
                       value[vl - 1] != '\t',
                   "value not trimmed: '%s'", value);
    log_bytes(s, "H", 1);
    log_bytes(s, name, nl + 1);
    log_bytes(s, value, vl + 1);
    return 0;
}

static int on_body(void *ud, const char *data, size_t len)
{
    sink *s = ud;
    FUZZ_CHECK(len > 0, "empty body slice");
    FUZZ_CHECK(data >= s->lo && data + len <= s->hi, "body slice outside the bytes fed");
    FUZZ_CHECK(s->saw_status, "body before the status");
    FUZZ_CHECK(tdm_buf_append(&s->body, data, len) == 0, "out of memory");
    return 0;
}

static const tdm_http1_cbs cbs = {.on_status = on_status, .on_header = on_header, .on_body = on_body};

/* One response ended with rc (DONE, an error, or eof's verdict): log what it came to. */
static void end_response(sink *s, const tdm_http1_response *p, int rc)
{
    if (rc < 0 && !p->headers_done)
        FUZZ_CHECK(!s->saw_status, "callbacks ran for a head that failed");
    if (rc < 0)
        FUZZ_CHECK(tdm_http1_response_error(p)[0] != '\0', "error %d without a message", rc);
    if (p->headers_done) {
        FUZZ_CHECK(p->body_bytes == s->body.len, "body_bytes %llu, handed out %zu",
                   (unsigned long long)p->body_bytes, s->body.len);
        if (rc == TDM_HTTP1_DONE && !p->chunked && p->content_length >= 0 && !p->head_request &&
            p->status != 204 && p->status != 304)
            FUZZ_CHECK(p->body_bytes == (uint64_t)p->content_length,
                       "body of %llu bytes, Content-Length %lld", (unsigned long long)p->body_bytes,
                       (long long)p->content_length);
        if (!p->chunked && p->content_length < 0 && !p->head_request && p->status != 204 &&
            p->status != 304)
            FUZZ_CHECK(!p->keep_alive, "keep-alive with a body delimited by close");
    }
    int64_t f[8] = {rc,
                    p->status,
                    p->minor_version,
                    p->content_length,
                    p->chunked,
                    p->keep_alive,
                    p->headers_done,
                    (int64_t)p->bytes_in};
    log_bytes(s, "E", 1);
    log_bytes(s, f, sizeof f);
    uint64_t n = s->body.len;
    log_bytes(s, &n, sizeof n);
    if (n)
        log_bytes(s, s->body.data, s->body.len);
    const char *why = tdm_http1_response_error(p);
    log_bytes(s, why, strlen(why) + 1);
    tdm_buf_reset(&s->body);
    s->saw_status = false;
}

/* step 0: whole; 1: byte by byte; 2: input-derived pieces. */
static void parse(const uint8_t *data, size_t len, size_t max_header, bool head, int step,
                  uint64_t salt, sink *s)
{
    tdm_http1_response p;
    tdm_http1_response_init(&p, max_header, &cbs, s);
    tdm_http1_response_reset(&p, head);
    fuzz_split cut;
    fuzz_split_init(&cut, data, len, salt);
    int rc = TDM_HTTP1_MORE;
    bool ended = false; /* the last response ended; reset before feeding the next one */
    size_t at = 0;
    while (rc >= 0 && at < len) {
        size_t n = fuzz_piece_len(step, &cut, len - at);
        char *piece = fuzz_exact_copy(data + at, n);
        s->lo = piece;
        s->hi = piece + n;
        size_t off = 0;
        while (rc >= 0 && off < n) {
            if (ended) {
                tdm_http1_response_reset(&p, head);
                ended = false;
            }
            size_t consumed = (size_t)-1;
            rc = tdm_http1_response_feed(&p, piece + off, n - off, &consumed);
            FUZZ_CHECK(consumed <= n - off, "consumed %zu of %zu bytes", consumed, n - off);
            FUZZ_CHECK(rc == TDM_HTTP1_DONE || consumed == n - off || rc < 0,
                       "MORE with %zu of %zu bytes consumed", consumed, n - off);
            off += consumed;
            if (rc == TDM_HTTP1_DONE) {
                end_response(s, &p, rc);
                ended = true;
                rc = TDM_HTTP1_MORE;
            } else if (rc < 0) {
                size_t again = (size_t)-1;
                FUZZ_CHECK(tdm_http1_response_feed(&p, piece, n, &again) == rc && again == 0,
                           "error %d not sticky", rc);
                FUZZ_CHECK(tdm_http1_response_eof(&p) == rc, "eof after error %d changed it", rc);
                end_response(s, &p, rc);
            }
        }
        free(piece);
        at += n;
    }
    if (rc >= 0) {
        /* The peer closes: the end of a body delimited by close, or a cut response. */
        int eof = ended ? TDM_HTTP1_DONE : tdm_http1_response_eof(&p);
        FUZZ_CHECK(eof == TDM_HTTP1_DONE || eof == TDM_HTTP1_ERR_CLOSED, "eof gave %d", eof);
        if (!ended)
            end_response(s, &p, eof);
        log_bytes(s, "C", 1);
    }
    tdm_http1_response_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    fuzz_split pick;
    fuzz_split_init(&pick, data, len, 0);
    uint64_t r = fuzz_split_next(&pick);
    size_t max_header = (r & 3) == 0 ? (size_t)(r >> 8) % 512 + 1 : 0;
    bool head = (r >> 2) & 1;

    sink ref = {0};
    parse(data, len, max_header, head, 0, 0, &ref);
    for (int run = 1; run <= 3; run++) {
        int step = run == 1 ? 1 : 2;
        if (step == 1 && len > 4096)
            continue; /* byte by byte: small inputs only */
        sink s = {0};
        parse(data, len, max_header, head, step, (uint64_t)run, &s);
        FUZZ_CHECK(s.log.len == ref.log.len &&
                       (s.log.len == 0 || memcmp(s.log.data, ref.log.data, s.log.len) == 0),
                   "run %d (step %d) differs from the whole input", run, step);
        tdm_buf_free(&s.log);
        tdm_buf_free(&s.body);
    }
    tdm_buf_free(&ref.log);
    tdm_buf_free(&ref.body);
    return 0;
}
