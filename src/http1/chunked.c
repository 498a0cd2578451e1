/* chunked.c — incremental decoder for HTTP/1.1 chunked transfer-coding (RFC 9112 §7.1).
 *
 * A byte-at-a-time state machine for the framing and bulk copies-free slices for the
 * data, so input may be split anywhere — inside the hex size, between CR and LF, inside a
 * trailer — and data is handed out as soon as it arrives. Framing is strict: every line
 * ends with CRLF (as Go's net/http, Ollama's server, writes it); the size line, its
 * extensions and the trailers are bounded so a hostile peer cannot make us loop or
 * buffer without end. Nothing is buffered: extensions and trailers are skipped. */
#include "http1/http1.h"

#include <string.h>

#include "core/hex.h"

enum {
    S_SIZE_START, /* first hex digit of a chunk size */
    S_SIZE,       /* more hex digits */
    S_SIZE_WS,    /* whitespace after the size (BWS before ';') */
    S_EXT,        /* chunk extension, skipped up to CR */
    S_SIZE_LF,    /* LF ending the size line */
    S_DATA,
    S_DATA_CR,    /* CRLF after the data */
    S_DATA_LF,
    S_TRAILER_START, /* start of a trailer line, or the final empty line */
    S_TRAILER_LINE,
    S_TRAILER_LF,
    S_END_LF,     /* LF of the final empty line */
    S_DONE,
    S_ERROR,
};

void tdm_http1_chunked_init(tdm_http1_chunked *d)
{
    memset(d, 0, sizeof *d);
    d->state = S_SIZE_START;
}

/* Field content may hold HTAB, SP, visible ASCII and obs-text; no other control. */
static bool text_char(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static int fail(tdm_http1_chunked *d, int kind, const char *why)
{
    d->state = S_ERROR;
    d->error = kind;
    d->why = why;
    return kind;
}

int tdm_http1_chunked_feed(tdm_http1_chunked *d, const char *data, size_t len,
                           size_t *consumed, tdm_http1_data_fn fn, void *ud)
{
    size_t i = 0;
    int rc = TDM_HTTP1_MORE;
    if (d->state == S_ERROR) {
        *consumed = 0;
        return d->error;
    }
    while (i < len && rc == TDM_HTTP1_MORE) {
        unsigned char ch = (unsigned char)data[i];
        switch (d->state) {
        case S_SIZE_START:
        case S_SIZE: {
            int v = tdm_hex_digit(ch);
            if (v >= 0) {
                if (d->remaining >> 59)
                    return *consumed = i, fail(d, TDM_HTTP1_ERR_PROTOCOL, "chunk size too large");
                d->remaining = d->remaining << 4 | (uint64_t)v;
                d->state = S_SIZE;
            } else if (d->state == S_SIZE_START) {
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "chunk size is not a hex number");
            } else if (ch == ' ' || ch == '\t') {
                d->state = S_SIZE_WS;
            } else if (ch == ';') {
                d->state = S_EXT;
            } else if (ch == '\r') {
                d->state = S_SIZE_LF;
            } else {
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "bad character after the chunk size");
            }
            break;
        }
        case S_SIZE_WS:
            if (ch == ';')
                d->state = S_EXT;
            else if (ch == '\r')
                d->state = S_SIZE_LF;
            else if (ch != ' ' && ch != '\t')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "bad character after the chunk size");
            break;
        case S_EXT:
            if (ch == '\r')
                d->state = S_SIZE_LF;
            else if (!text_char(ch))
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "control character in a chunk extension");
            break;
        case S_SIZE_LF:
            if (ch != '\n')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "chunk size line not ended by CRLF");
            d->line_len = 0;
            if (d->remaining == 0) {
                d->state = S_TRAILER_START;
            } else {
                d->chunks++;
                d->state = S_DATA;
            }
            i++;
            continue;
        case S_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > d->remaining)
                n = (size_t)d->remaining;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = S_DATA_CR;
            if (fn && fn(ud, data + i, n) != 0)
                return *consumed = i + n, fail(d, TDM_HTTP1_ERR_ABORTED, "aborted by callback");
            i += n;
            continue;
        }
        case S_DATA_CR:
            if (ch != '\r')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "chunk data not followed by CRLF");
            d->state = S_DATA_LF;
            break;
        case S_DATA_LF:
            if (ch != '\n')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "chunk data not followed by CRLF");
            d->state = S_SIZE_START;
            d->line_len = 0;
            i++;
            continue;
        case S_TRAILER_START:
            if (ch == '\r') {
                d->state = S_END_LF;
            } else if (!text_char(ch)) {
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "control character in a trailer");
            } else {
                d->state = S_TRAILER_LINE;
            }
            break;
        case S_TRAILER_LINE:
            if (ch == '\r')
                d->state = S_TRAILER_LF;
            else if (!text_char(ch))
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "control character in a trailer");
            break;
        case S_TRAILER_LF:
            if (ch != '\n')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "trailer line not ended by CRLF");
            d->state = S_TRAILER_START;
            break;
        case S_END_LF:
            if (ch != '\n')
                return *consumed = i,
                       fail(d, TDM_HTTP1_ERR_PROTOCOL, "final chunk not ended by CRLF");
            d->state = S_DONE;
            rc = TDM_HTTP1_DONE;
            break;
        case S_DONE:
            *consumed = i;
            return TDM_HTTP1_DONE;
        default:
            break;
        }
        /* Every framing byte counts against the limits of its section. */
        if (d->state <= S_SIZE_LF) {
            if (++d->line_len > TDM_HTTP1_MAX_CHUNK_EXT)
                return *consumed = i, fail(d, TDM_HTTP1_ERR_TOO_LARGE,
                                           "chunk size line (with extensions) too long");
        } else if (d->state >= S_TRAILER_START && d->state <= S_END_LF) {
            if (++d->trailer_len > TDM_HTTP1_MAX_TRAILERS)
                return *consumed = i, fail(d, TDM_HTTP1_ERR_TOO_LARGE, "trailers too large");
        }
        i++;
    }
    *consumed = i;
    return d->state == S_DONE ? TDM_HTTP1_DONE : rc;
}

const char *tdm_http1_chunked_error(const tdm_http1_chunked *d)
{
    return d->state == S_ERROR && d->why ? d->why : "";
}
