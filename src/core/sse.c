/* sse.c — the Server-Sent Events framer (see sse.h).
 *
 * It runs on every read of every OpenAI-style stream, so it finds line ends with memchr
 * and copies a byte only when it must: the usual event, one "data: {...}" line followed
 * by its blank line in the same read, is handed out where it lies. A data line whose
 * event is not complete by the end of the read, a second data line, and a line cut by the
 * read are kept in the framer's buffers, whose capacity stays for the next event. */
#include "core/sse.h"

#include <stdint.h>
#include <string.h>

#include "core/ndjson.h"

/* Keeps max_event + the slack from overflowing size_t in the checks below. */
#define MAX_EVENT_CAP (SIZE_MAX / 4)
/* A line may exceed max_event by its field name and colon ("data: " is 6 bytes), so an
 * event of exactly max_event bytes is accepted. */
#define LINE_SLACK 8

void tdm_sse_init(tdm_sse *f, size_t max_event)
{
    memset(f, 0, sizeof *f);
    if (max_event == 0)
        max_event = TDM_NDJSON_DEFAULT_MAX_LINE;
    f->max_event = max_event > MAX_EVENT_CAP ? MAX_EVENT_CAP : max_event;
}

size_t tdm_sse_pending(const tdm_sse *f)
{
    return f->line.len + f->data.len + f->span_len;
}

void tdm_sse_free(tdm_sse *f)
{
    tdm_buf_free(&f->line);
    tdm_buf_free(&f->data);
    f->span = NULL;
    f->span_len = 0;
}

/* The framer is dead after an error; its buffers go at once. */
static int fail(tdm_sse *f, int code)
{
    tdm_sse_free(f);
    f->has_data = false;
    f->error = code;
    return code;
}

/* Forgets the event and line under way (the consumer stopped the feed). */
static void drop(tdm_sse *f)
{
    tdm_buf_reset(&f->line);
    tdm_buf_reset(&f->data);
    f->span = NULL;
    f->span_len = 0;
    f->has_data = false;
    f->after_cr = false;
}

/* Moves a data value still lying in the feed into the framer's buffer. */
static int settle_span(tdm_sse *f)
{
    if (!f->span)
        return TDM_SSE_OK;
    const char *s = f->span;
    size_t n = f->span_len;
    f->span = NULL;
    f->span_len = 0;
    return tdm_buf_append(&f->data, s, n) == 0 ? TDM_SSE_OK : fail(f, TDM_SSE_ERR_NOMEM);
}

/* The blank line: hands the event out when it has data. */
static int dispatch(tdm_sse *f, tdm_sse_event_fn fn, void *ctx)
{
    if (!f->has_data)
        return TDM_SSE_OK; /* only comments or other fields: no event (WHATWG) */
    f->events++;
    int rc = f->span ? fn(ctx, f->span, f->span_len) : fn(ctx, f->data.data ? f->data.data : "", f->data.len);
    f->span = NULL;
    f->span_len = 0;
    f->has_data = false;
    tdm_buf_reset(&f->data);
    return rc;
}

/* One complete line, without its end. in_feed: it lies in the caller's feed (not in
 * f->line), so its value may stay there until the feed returns. */
static int take_line(tdm_sse *f, const char *line, size_t n, bool in_feed, tdm_sse_event_fn fn, void *ctx)
{
    if (n == 0)
        return dispatch(f, fn, ctx);
    if (line[0] == ':')
        return TDM_SSE_OK; /* a comment (keep-alives, llama-server's and proxies' pings) */
    const char *colon = memchr(line, ':', n);
    size_t name_len = colon ? (size_t)(colon - line) : n;
    if (name_len != 4 || memcmp(line, "data", 4) != 0)
        return TDM_SSE_OK; /* event:, id:, retry: and unknown fields change nothing we read */
    const char *v = colon ? colon + 1 : line + n;
    size_t vn = (size_t)(line + n - v);
    if (vn > 0 && *v == ' ') {
        v++;
        vn--;
    }
    size_t have = f->span ? f->span_len : f->data.len;
    if (vn + (f->has_data ? 1 : 0) > f->max_event - have)
        return fail(f, TDM_SSE_ERR_TOO_LONG);
    if (!f->has_data && in_feed) {
        f->span = v;
        f->span_len = vn;
        f->has_data = true;
        return TDM_SSE_OK;
    }
    int rc = settle_span(f);
    if (rc != TDM_SSE_OK)
        return rc;
    if ((f->has_data && tdm_buf_append(&f->data, "\n", 1) != 0) || tdm_buf_append(&f->data, v, vn) != 0)
        return fail(f, TDM_SSE_ERR_NOMEM);
    f->has_data = true;
    return TDM_SSE_OK;
}

int tdm_sse_feed(tdm_sse *f, const char *data, size_t len, tdm_sse_event_fn fn, void *ctx)
{
    if (f->error)
        return f->error;
    if (len == 0)
        return TDM_SSE_OK; /* data may be NULL then */
    const char *p = data, *end = data + len;
    size_t line_max = f->max_event + LINE_SLACK;
    if (f->after_cr) {
        f->after_cr = false;
        if (*p == '\n')
            p++; /* the "\r\n" a read cut in two */
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
        const char *eol = cr ? cr : nl;
        if (!eol) {
            /* An unended line: kept for the next feed. */
            size_t n = (size_t)(end - p);
            if (n > line_max - f->line.len)
                return fail(f, TDM_SSE_ERR_TOO_LONG);
            if (tdm_buf_append(&f->line, p, n) != 0)
                return fail(f, TDM_SSE_ERR_NOMEM);
            break;
        }
        size_t n = (size_t)(eol - p);
        int rc;
        if (f->line.len > 0) {
            if (n > line_max - f->line.len)
                return fail(f, TDM_SSE_ERR_TOO_LONG);
            if (tdm_buf_append(&f->line, p, n) != 0)
                return fail(f, TDM_SSE_ERR_NOMEM);
            rc = take_line(f, f->line.data, f->line.len, false, fn, ctx);
            if (!f->error)
                tdm_buf_reset(&f->line);
        } else {
            if (n > line_max)
                return fail(f, TDM_SSE_ERR_TOO_LONG);
            rc = take_line(f, p, n, true, fn, ctx);
        }
        if (rc < 0)
            return rc; /* the framer failed (fail() has freed it) */
        p = eol + 1;
        if (*eol == '\r') {
            if (p < end && *p == '\n')
                p++;
            else if (p == end)
                f->after_cr = true;
        }
        if (rc > 0) {
            drop(f);
            return rc;
        }
    }
    /* The feed's memory is the caller's: a value still lying there is copied now. */
    return settle_span(f);
}
