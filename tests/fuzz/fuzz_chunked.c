/* fuzz_chunked.c — the chunked transfer-coding decoder (src/http1/chunked.c) on any bytes.
 *
 * Checks, on any input:
 * - the decoder returns the same result, decodes the same data, counts the same chunks,
 *   consumes the same number of bytes and gives the same error message whether the input
 *   comes whole, one byte at a time, or in pieces cut at input-derived points; every piece
 *   lies in a block of its own exact size, so a read past it is an AddressSanitizer error;
 * - every data slice is non-empty and lies inside the bytes given; the decoded data is
 *   never longer than the input; *consumed never exceeds what was given, and equals it
 *   unless the message ended or failed;
 * - errors are sticky (a later feed returns the same error and consumes nothing), and after
 *   the end the decoder consumes nothing more.
 * The bytes after the end of the message are left alone, as they belong to the next one. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "http1/http1.h"
#include "fuzz_common.h"

typedef struct sink {
    tdm_buf body;
    const char *lo, *hi; /* the piece being fed */
} sink;

static int on_data(void *ud, const char *data, size_t len)
{
    sink *s = ud;
    FUZZ_CHECK(len > 0, "empty data slice");
    FUZZ_CHECK(data >= s->lo && data + len <= s->hi, "data slice outside the bytes fed");
    FUZZ_CHECK(tdm_buf_append(&s->body, data, len) == 0, "out of memory");
    return 0;
}

typedef struct outcome {
    int rc;
    size_t used;      /* bytes consumed in all */
    uint64_t chunks;
    const char *why;
} outcome;

/* step 0: whole; 1: byte by byte; 2: input-derived pieces. */
static outcome decode(const uint8_t *data, size_t len, int step, uint64_t salt, sink *s)
{
    tdm_http1_chunked d;
    tdm_http1_chunked_init(&d);
    fuzz_split cut;
    fuzz_split_init(&cut, data, len, salt);
    outcome o = {TDM_HTTP1_MORE, 0, 0, ""};
    size_t at = 0;
    do {
        size_t n = fuzz_piece_len(step, &cut, len - at);
        char *piece = fuzz_exact_copy(data + at, n);
        s->lo = piece;
        s->hi = piece + n;
        size_t consumed = (size_t)-1;
        o.rc = tdm_http1_chunked_feed(&d, piece, n, &consumed, on_data, s);
        FUZZ_CHECK(consumed <= n, "consumed %zu of %zu bytes", consumed, n);
        FUZZ_CHECK(o.rc == TDM_HTTP1_MORE || o.rc == TDM_HTTP1_DONE || o.rc == TDM_HTTP1_ERR_PROTOCOL ||
                       o.rc == TDM_HTTP1_ERR_TOO_LARGE,
                   "unexpected result %d", o.rc);
        if (o.rc == TDM_HTTP1_MORE)
            FUZZ_CHECK(consumed == n, "MORE but only %zu of %zu bytes consumed", consumed, n);
        o.used += consumed;
        if (o.rc != TDM_HTTP1_MORE) {
            /* Sticky: the decoder takes nothing more, and says the same again. */
            size_t again = (size_t)-1;
            int rc2 = tdm_http1_chunked_feed(&d, piece, n, &again, on_data, s);
            FUZZ_CHECK(rc2 == o.rc, "result changed from %d to %d", o.rc, rc2);
            if (n > 0)
                FUZZ_CHECK(again == 0, "consumed %zu bytes after the end or an error", again);
        }
        free(piece);
        at += n;
    } while (o.rc == TDM_HTTP1_MORE && at < len);
    o.chunks = d.chunks;
    o.why = tdm_http1_chunked_error(&d);
    FUZZ_CHECK((o.rc < 0) == (o.why[0] != '\0'), "error message and result disagree (%d, '%s')",
               o.rc, o.why);
    FUZZ_CHECK(s->body.len <= len, "decoded more than the input");
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sink ref = {0};
    outcome whole = decode(data, len, 0, 0, &ref);
    for (int run = 1; run <= 3; run++) {
        int step = run == 1 ? 1 : 2;
        if (step == 1 && len > 4096)
            continue; /* byte by byte: small inputs only */
        sink s = {0};
        outcome o = decode(data, len, step, (uint64_t)run, &s);
        FUZZ_CHECK(o.rc == whole.rc && o.used == whole.used && o.chunks == whole.chunks &&
                       strcmp(o.why, whole.why) == 0,
                   "run %d: result %d, %zu bytes used, %llu chunks ('%s'); whole: %d, %zu, %llu ('%s')",
                   run, o.rc, o.used, (unsigned long long)o.chunks, o.why, whole.rc, whole.used,
                   (unsigned long long)whole.chunks, whole.why);
        FUZZ_CHECK(s.body.len == ref.body.len &&
                       (s.body.len == 0 || memcmp(s.body.data, ref.body.data, s.body.len) == 0),
                   "run %d decoded other data", run);
        tdm_buf_free(&s.body);
    }
    tdm_buf_free(&ref.body);
    return 0;
}
