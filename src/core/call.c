/* call.c — per-call stream consumer shared by every variant (see call.h). */
#include "core/call.h"

#include <stdio.h>
#include <string.h>

#include "core/call_openai.h"
#include "core/interrupt.h"
#include "core/utf8.h"

/* A non-2xx body is a short JSON error; more than this is not worth keeping. */
#define ERROR_BODY_MAX 65536
/* ... and a message quotes at most this much of it, on one line (tdm_utf8_excerpt): a
 * proxy's HTML page must not fill the console or the records. */
#define ERROR_QUOTE_MAX 200

void tdm_call_init(tdm_call *c, tdm_call_record *rec, const tdm_timeouts *t, size_t max_line)
{
    memset(c, 0, sizeof *c);
    c->rec = rec;
    c->timeouts = *t;
    c->max_line = max_line ? max_line : TDM_NDJSON_DEFAULT_MAX_LINE;
    tdm_ndjson_init(&c->framer, c->max_line);
    tdm_sse_init(&c->sse, c->max_line);
    tdm_server_counters_init(&c->oa_counters);
}

void tdm_call_free(tdm_call *c)
{
    tdm_ndjson_free(&c->framer);
    tdm_sse_free(&c->sse);
    tdm_buf_free(&c->whole);
    tdm_buf_free(&c->error_body);
}

void tdm_call_begin(tdm_call *c, int64_t now)
{
    c->rec->t_begin = now;
    c->t_last_read = now;
}

void tdm_call_request_started(tdm_call *c, int64_t now, int64_t connect_ns, bool reused)
{
    c->rec->t_start = now;
    c->rec->connect_ns = connect_ns;
    c->rec->reused_connection = reused;
    c->t_last_read = now;
}

void tdm_call_status(tdm_call *c, int status, int64_t now)
{
    tdm_call_record *r = c->rec;
    r->http_status = status;
    if (r->t_first_byte == 0)
        r->t_first_byte = now;
    c->t_last_read = now;
}

static void fail(tdm_call *c, tdm_error_kind kind, const char *fmt, const char *detail)
{
    tdm_record_fail(c->rec, kind, c->t_read, fmt, detail);
    c->finished = true;
}

/* Reads one line the fast path declined, with jansson; its content is appended to the
 * record's text. Returns 0, or -1 once the failure is recorded. *l holds heap memory
 * either way: the caller clears it. */
static int tree_line(tdm_call *c, const char *line, size_t len, tdm_ollama_line *l)
{
    char err[256];
    if (tdm_ollama_parse_tree(line, len, l, err, sizeof err) != 0) {
        fail(c, TDM_ERR_PROTOCOL, "malformed line from server: %s", err);
        return -1;
    }
    if (l->error) {
        fail(c, TDM_ERR_SERVER, "server reported an error mid-stream: %s", l->error);
        return -1;
    }
    if (tdm_buf_append(&c->rec->text, l->content, l->content_len) != 0) {
        fail(c, TDM_ERR_INTERNAL, "%s", "out of memory recording a token event");
        return -1;
    }
    return 0;
}

/* Takes one parsed line into the record; returns 1 when the call is finished. */
static int take_line(tdm_call *c, const tdm_ollama_line *l)
{
    tdm_call_record *r = c->rec;
    if (l->content_len > 0 || l->thinking_len > 0) {
        if (tdm_record_add_event(r, c->t_read, (uint32_t)l->content_len, (uint32_t)l->thinking_len) != 0) {
            fail(c, TDM_ERR_INTERNAL, "%s", "out of memory recording a token event");
            return 1;
        }
        r->thinking_bytes_total += l->thinking_len;
    }
    if (!l->done)
        return 0;
    r->have_final = true;
    r->server = l->counters;
    snprintf(r->done_reason, sizeof r->done_reason, "%s", l->done_reason);
    r->ok = true;
    r->t_done = c->t_read;
    c->finished = true;
    return 1;
}

/* Handles one complete NDJSON line (line[0..len), not NUL-terminated); returns 1 to
 * stop framing once the call is finished (c->finished says how). */
static int on_line(void *ctx, const char *line, size_t len)
{
    tdm_call *c = ctx;
    if (c->finished)
        return 0; /* bytes after the final line (none expected) are ignored */
    c->rec->frames++;
    /* The common line takes the allocation-free path, its text decoded straight into
     * the record (nothing to free afterwards); anything else, errors included, goes
     * through jansson. */
    tdm_ollama_line l;
    if (tdm_ollama_parse_fast_append(line, len, &l, &c->rec->text))
        return take_line(c, &l);
    int rc = tree_line(c, line, len, &l) != 0 ? 1 : take_line(c, &l);
    tdm_ollama_line_clear(&l);
    return rc;
}

static bool status_is_error(const tdm_call *c)
{
    return c->rec->http_status != 0 && (c->rec->http_status < 200 || c->rec->http_status > 299);
}

void tdm_call_read(tdm_call *c, int64_t now)
{
    tdm_call_record *r = c->rec;
    if (r->t_first_byte == 0)
        r->t_first_byte = now;
    r->reads++;
    c->t_last_read = now;
    if (!c->finished)
        c->t_read = now;
}

int tdm_call_body(tdm_call *c, const char *data, size_t len, int64_t now)
{
    tdm_call_read(c, now);
    return tdm_call_slice(c, data, len);
}

int tdm_call_slice(tdm_call *c, const char *data, size_t len)
{
    tdm_call_record *r = c->rec;
    r->bytes += len;
    if (c->finished)
        return r->ok ? TDM_CALL_DONE : TDM_CALL_FAILED;

    if (status_is_error(c)) {
        size_t room = ERROR_BODY_MAX - c->error_body.len;
        tdm_buf_append(&c->error_body, data, len < room ? len : room);
        return TDM_CALL_MORE;
    }
    if (r->api == TDM_API_OPENAI)
        return tdm_call_openai_slice(c, data, len);
    int rc = tdm_ndjson_feed_spans(&c->framer, data, len, on_line, c);
    if (rc == TDM_NDJSON_ERR_TOO_LONG) {
        char limit[64];
        snprintf(limit, sizeof limit, "%zu", c->framer.max_line);
        fail(c, TDM_ERR_LINE_TOO_LONG,
             "a response line exceeded %s bytes; raise max_line_bytes in the scenario if the server really sends such lines",
             limit);
        return TDM_CALL_FAILED;
    }
    if (rc == TDM_NDJSON_ERR_NOMEM) {
        fail(c, TDM_ERR_INTERNAL, "%s", "out of memory buffering a response line");
        return TDM_CALL_FAILED;
    }
    if (c->finished)
        return r->ok ? TDM_CALL_DONE : TDM_CALL_FAILED;
    return TDM_CALL_MORE;
}

/* Turns a non-2xx response into a failure whose message is the server's own: Ollama's
 * {"error": "..."}, else the OpenAI API's {"error": {"message": "..."}}, else the body. */
static void fail_from_status(tdm_call *c)
{
    tdm_call_record *r = c->rec;
    tdm_ollama_line l;
    char err[256], msg[ERROR_QUOTE_MAX + 4];
    bool parsed = c->error_body.len > 0 &&
                  tdm_ollama_parse_line(c->error_body.data, c->error_body.len, &l, err, sizeof err) == 0;
    if (parsed && l.error)
        tdm_utf8_excerpt(l.error, strlen(l.error), ERROR_QUOTE_MAX, true, msg);
    else if (!tdm_call_openai_error_message(c->error_body.data, c->error_body.len, ERROR_QUOTE_MAX, msg))
        tdm_utf8_excerpt(c->error_body.data ? c->error_body.data : "", c->error_body.len, ERROR_QUOTE_MAX, true,
                         msg);
    if (r->http_status == 404 && strstr(msg, "not found"))
        tdm_record_fail(r, TDM_ERR_MODEL_NOT_FOUND, c->t_read, "HTTP 404: %s", msg);
    else
        tdm_record_fail(r, TDM_ERR_HTTP_STATUS, c->t_read, "HTTP %d: %s", r->http_status,
                        *msg ? msg : "(empty body)");
    if (parsed)
        tdm_ollama_line_clear(&l);
    c->finished = true;
}

int tdm_call_end(tdm_call *c, int64_t now)
{
    if (!c->finished) {
        c->t_read = now;
        if (status_is_error(c)) {
            fail_from_status(c);
        } else if (c->rec->api == TDM_API_OPENAI) {
            tdm_call_openai_end(c);
        } else if (tdm_ndjson_pending(&c->framer) > 0) {
            /* A body that does not end in '\n' (a non-streamed reply) is one last line. */
            tdm_buf tail = c->framer.pending;
            c->framer.pending = (tdm_buf){0};
            tdm_ollama_line l;
            char err[256];
            bool whole = tdm_ollama_parse_line(tail.data, tail.len, &l, err, sizeof err) == 0;
            tdm_ollama_line_clear(&l);
            if (whole) {
                on_line(c, tail.data, tail.len);
            } else {
                char n[32];
                snprintf(n, sizeof n, "%zu", tail.len);
                fail(c, TDM_ERR_DISCONNECTED, "the response ended in the middle of a line (%s bytes unfinished)", n);
            }
            tdm_buf_free(&tail);
        }
        if (!c->finished)
            fail(c, TDM_ERR_DISCONNECTED, "%s",
                 c->rec->http_status == 0 ? "the connection closed before any response"
                                          : "the response ended before its final (done) line");
    }
    return c->rec->ok ? TDM_CALL_DONE : TDM_CALL_FAILED;
}

void tdm_call_fail(tdm_call *c, tdm_error_kind kind, int64_t now, const char *message)
{
    if (c->finished)
        return;
    tdm_record_fail(c->rec, kind, now, "%s", message);
    c->finished = true;
}

static int64_t ms(int64_t v)
{
    return v * 1000000LL;
}

int64_t tdm_call_deadline(const tdm_call *c)
{
    if (c->finished)
        return 0;
    const tdm_call_record *r = c->rec;
    int64_t d = r->t_begin + ms(c->timeouts.total_ms);
    int64_t other;
    if (r->t_start == 0)
        other = r->t_begin + ms(c->timeouts.connect_ms);
    else if (r->t_first_byte == 0)
        other = r->t_start + ms(c->timeouts.first_byte_ms);
    else
        other = c->t_last_read + ms(c->timeouts.idle_ms);
    if (other < d)
        d = other;
    /* After an interrupt, the grace period's end is one more deadline (interrupt.h). */
    int64_t stop = tdm_interrupt_deadline();
    return stop != 0 && stop < d ? stop : d;
}

bool tdm_call_check_timeouts(tdm_call *c, int64_t now)
{
    if (c->finished)
        return false;
    const tdm_call_record *r = c->rec;
    const tdm_timeouts *t = &c->timeouts;
    char msg[200];
    tdm_error_kind kind = TDM_ERR_NONE;
    if (now >= r->t_begin + ms(t->total_ms)) {
        kind = TDM_ERR_TIMEOUT_TOTAL;
        snprintf(msg, sizeof msg, "the call took longer than timeouts.total_ms = %lld ms", (long long)t->total_ms);
    } else if (r->t_start == 0 && now >= r->t_begin + ms(t->connect_ms)) {
        kind = TDM_ERR_TIMEOUT_CONNECT;
        snprintf(msg, sizeof msg, "no connection within timeouts.connect_ms = %lld ms", (long long)t->connect_ms);
    } else if (r->t_start != 0 && r->t_first_byte == 0 && now >= r->t_start + ms(t->first_byte_ms)) {
        kind = TDM_ERR_TIMEOUT_FIRST_BYTE;
        snprintf(msg, sizeof msg, "no response byte within timeouts.first_byte_ms = %lld ms",
                 (long long)t->first_byte_ms);
    } else if (r->t_first_byte != 0 && now >= c->t_last_read + ms(t->idle_ms)) {
        kind = TDM_ERR_TIMEOUT_IDLE;
        snprintf(msg, sizeof msg, "the stream stalled: nothing for timeouts.idle_ms = %lld ms", (long long)t->idle_ms);
    }
    int64_t stop = tdm_interrupt_deadline();
    if (kind == TDM_ERR_NONE && stop != 0 && now >= stop) {
        /* The closest kind there is: the client gave up on the call at a deadline. */
        kind = TDM_ERR_TIMEOUT_TOTAL;
        snprintf(msg, sizeof msg,
                 "cut: the run was interrupted (SIGINT/SIGTERM) and the call was still going %lld ms later",
                 (long long)(TDM_INTERRUPT_GRACE_NS / 1000000));
    }
    if (kind == TDM_ERR_NONE)
        return false;
    tdm_call_fail(c, kind, now, msg);
    return true;
}
