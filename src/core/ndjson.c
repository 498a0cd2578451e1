/* ndjson.c — the NDJSON framer (see ndjson.h): splits a byte stream at '\n' into
 * complete lines, whatever the transport's read boundaries.
 *
 * This runs on every read of every streamed response, so it does one memchr per line
 * and touches each byte at most once more (the copy), and never allocates once its
 * buffer has grown to the longest line seen. Length limits are checked before bytes are
 * buffered, so a server that never sends '\n' costs at most max_line + 1 bytes. */
#include "core/ndjson.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Keeps pending.len + (bytes of one feed) far from overflowing size_t. */
#define MAX_LINE_CAP (SIZE_MAX / 4)

void tdm_ndjson_init(tdm_ndjson *f, size_t max_line)
{
    memset(f, 0, sizeof *f);
    if (max_line == 0)
        max_line = TDM_NDJSON_DEFAULT_MAX_LINE;
    f->max_line = max_line > MAX_LINE_CAP ? MAX_LINE_CAP : max_line;
}

size_t tdm_ndjson_pending(const tdm_ndjson *f)
{
    return f->pending.len;
}

void tdm_ndjson_free(tdm_ndjson *f)
{
    tdm_buf_free(&f->pending);
}

/* The framer is dead after an error; its buffer (up to max_line bytes) goes at once. */
static int fail(tdm_ndjson *f, int code)
{
    tdm_buf_free(&f->pending);
    f->error = code;
    return code;
}

/* raw bytes of a line, of which the last is `last`: a trailing '\r' belongs to the line
 * end, not the line, so a line of exactly max_line bytes is accepted with "\r\n" too.
 * For a line still unterminated the same holds, because a '\r' not followed by '\n'
 * makes the line longer by the next byte and is caught then. */
static bool too_long(const tdm_ndjson *f, size_t raw, char last)
{
    return raw - (last == '\r') > f->max_line;
}

/* Keeps an unterminated tail (n > 0) for the next feed. */
static int hold(tdm_ndjson *f, const char *p, size_t n)
{
    if (too_long(f, f->pending.len + n, p[n - 1]))
        return fail(f, TDM_NDJSON_ERR_TOO_LONG);
    if (tdm_buf_append(&f->pending, p, n) != 0)
        return fail(f, TDM_NDJSON_ERR_NOMEM);
    return TDM_NDJSON_OK;
}

/* wdata is data made writable (inplace mode) or NULL (copy mode). Taking both avoids
 * casting const away: we only ever write through a pointer the caller gave as writable. */
static int feed(tdm_ndjson *f, const char *data, char *wdata, bool terminate, size_t len,
                tdm_ndjson_line_fn fn, void *ctx)
{
    if (f->error)
        return f->error;
    if (len == 0)
        return TDM_NDJSON_OK; /* data may be NULL then, and memchr(NULL, .., 0) is UB */

    const char *p = data;
    const char *end = data + len;
    const char *nl = memchr(p, '\n', len);

    /* A line begun in an earlier feed: complete it in the buffer, which is ours and
     * already NUL-terminated by tdm_buf_append. */
    if (f->pending.len > 0) {
        if (!nl)
            return hold(f, p, len);
        size_t n = (size_t)(nl - p);
        char last = n ? nl[-1] : f->pending.data[f->pending.len - 1];
        if (too_long(f, f->pending.len + n, last))
            return fail(f, TDM_NDJSON_ERR_TOO_LONG);
        if (tdm_buf_append(&f->pending, p, n) != 0)
            return fail(f, TDM_NDJSON_ERR_NOMEM);
        size_t ll = f->pending.len;
        if (f->pending.data[ll - 1] == '\r')
            f->pending.data[--ll] = '\0';
        int rc = 0;
        if (ll > 0) {
            f->lines++;
            rc = fn(ctx, f->pending.data, ll);
        }
        tdm_buf_reset(&f->pending);
        if (rc != 0)
            return rc; /* the rest of this feed is dropped, nothing stays pending */
        p = nl + 1;
        nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    }

    /* Whole lines lying in data. */
    for (; nl; p = nl + 1, nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL) {
        size_t n = (size_t)(nl - p);
        if (n > 0 && nl[-1] == '\r')
            n--;
        if (n == 0)
            continue; /* empty line (or a lone "\r") */
        if (n > f->max_line)
            return fail(f, TDM_NDJSON_ERR_TOO_LONG);
        int rc;
        if (wdata) {
            /* The byte after the line is its '\r' or '\n', inside data: terminate there. */
            char *w = wdata + (p - data);
            w[n] = '\0';
            f->lines++;
            rc = fn(ctx, w, n);
        } else if (!terminate) {
            f->lines++;
            rc = fn(ctx, p, n); /* handed out where it lies, unterminated */
        } else {
            /* const input: one copy into our buffer, whose capacity stays for the next. */
            if (tdm_buf_append(&f->pending, p, n) != 0)
                return fail(f, TDM_NDJSON_ERR_NOMEM);
            f->lines++;
            rc = fn(ctx, f->pending.data, n);
            tdm_buf_reset(&f->pending);
        }
        if (rc != 0)
            return rc;
    }

    return p < end ? hold(f, p, (size_t)(end - p)) : TDM_NDJSON_OK;
}

int tdm_ndjson_feed(tdm_ndjson *f, const char *data, size_t len, tdm_ndjson_line_fn fn, void *ctx)
{
    return feed(f, data, NULL, true, len, fn, ctx);
}

int tdm_ndjson_feed_spans(tdm_ndjson *f, const char *data, size_t len, tdm_ndjson_span_fn fn, void *ctx)
{
    return feed(f, data, NULL, false, len, fn, ctx); /* the same type; only the promise differs */
}

int tdm_ndjson_feed_inplace(tdm_ndjson *f, char *data, size_t len, tdm_ndjson_line_fn fn, void *ctx)
{
    return feed(f, data, data, true, len, fn, ctx);
}
