/* call_openai.c — an OpenAI chat completion's body into the call's record (see
 * call_openai.h).
 *
 * The record comes out as for Ollama's APIs, so every metric and report reads both
 * alike: one token event per event whose delta carries content or reasoning (arrival:
 * the read that completed the event), the text, usage and timings as the server
 * counters (openai_proto.h says which), finish_reason as done_reason, and "data: [DONE]"
 * as the final line: the call is complete there and t_done is taken there. */
#include "core/call_openai.h"

#include <stdio.h>
#include <string.h>

#include "core/openai_proto.h"
#include "core/utf8.h"

static void fail(tdm_call *c, tdm_error_kind kind, const char *fmt, const char *detail)
{
    tdm_record_fail(c->rec, kind, c->t_read, fmt, detail);
    c->finished = true;
}

/* The stream's end ("data: [DONE]") or the whole reply parsed: the call succeeded. */
static void finish(tdm_call *c)
{
    tdm_call_record *r = c->rec;
    r->have_final = true;
    r->server = c->oa_counters;
    snprintf(r->done_reason, sizeof r->done_reason, "%s", c->oa_finish);
    r->ok = true;
    r->t_done = c->t_read;
    c->finished = true;
}

/* Takes one parsed object into the record; returns 1 once the call failed. */
static int take(tdm_call *c, const tdm_openai_chunk *ch, const char *error_fmt)
{
    tdm_call_record *r = c->rec;
    if (ch->error) {
        fail(c, TDM_ERR_SERVER, error_fmt, ch->error);
        return 1;
    }
    if (ch->content_len > 0 || ch->reasoning_len > 0) {
        if (ch->content_len > UINT32_MAX || ch->reasoning_len > UINT32_MAX ||
            tdm_record_add_event(r, c->t_read, (uint32_t)ch->content_len, (uint32_t)ch->reasoning_len) != 0 ||
            tdm_buf_append(&r->text, ch->content, ch->content_len) != 0) {
            fail(c, TDM_ERR_INTERNAL, "%s", "out of memory recording a token event");
            return 1;
        }
        r->thinking_bytes_total += ch->reasoning_len;
    }
    if (ch->finish_reason[0])
        snprintf(c->oa_finish, sizeof c->oa_finish, "%s", ch->finish_reason);
    tdm_openai_merge_counters(&c->oa_counters, &ch->counters);
    return 0;
}

/* One SSE event's data; returns 1 to stop framing once the call is finished. */
static int on_event(void *ctx, const char *data, size_t len)
{
    tdm_call *c = ctx;
    if (c->finished)
        return 1;
    c->rec->frames++;
    if (tdm_openai_is_done(data, len)) {
        finish(c);
        return 1;
    }
    tdm_openai_chunk ch;
    char err[256];
    if (tdm_openai_parse(data, len, &ch, err, sizeof err) != 0) {
        fail(c, TDM_ERR_PROTOCOL, "malformed event from server: %s", err);
        return 1;
    }
    int rc = take(c, &ch, "server reported an error mid-stream: %s");
    tdm_openai_chunk_clear(&ch);
    return rc;
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int outcome(const tdm_call *c)
{
    if (!c->finished)
        return TDM_CALL_MORE;
    return c->rec->ok ? TDM_CALL_DONE : TDM_CALL_FAILED;
}

int tdm_call_openai_slice(tdm_call *c, const char *data, size_t len)
{
    char limit[32];
    snprintf(limit, sizeof limit, "%zu", c->max_line);
    if (c->form == TDM_BODY_UNSEEN) {
        size_t i = 0;
        while (i < len && blank(data[i]))
            i++;
        if (i == len)
            return TDM_CALL_MORE; /* blanks change nothing in either form */
        c->form = data[i] == '{' ? TDM_BODY_WHOLE : TDM_BODY_EVENTS;
        data += i;
        len -= i;
    }
    if (c->form == TDM_BODY_WHOLE) {
        if (len > c->max_line - c->whole.len) {
            fail(c, TDM_ERR_LINE_TOO_LONG,
                 "the (non-streamed) reply exceeded %s bytes; raise max_line_bytes in the scenario if the server "
                 "really sends such replies",
                 limit);
            return TDM_CALL_FAILED;
        }
        if (tdm_buf_append(&c->whole, data, len) != 0) {
            fail(c, TDM_ERR_INTERNAL, "%s", "out of memory buffering the reply");
            return TDM_CALL_FAILED;
        }
        return TDM_CALL_MORE;
    }
    int rc = tdm_sse_feed(&c->sse, data, len, on_event, c);
    if (rc == TDM_SSE_ERR_TOO_LONG)
        fail(c, TDM_ERR_LINE_TOO_LONG,
             "a Server-Sent Event exceeded %s bytes; raise max_line_bytes in the scenario if the server really "
             "sends such events",
             limit);
    else if (rc == TDM_SSE_ERR_NOMEM)
        fail(c, TDM_ERR_INTERNAL, "%s", "out of memory buffering a Server-Sent Event");
    return outcome(c);
}

/* A whole reply ("stream": false): one token event for all of its text, as for Ollama's
 * non-streamed replies. */
static void end_whole(tdm_call *c)
{
    tdm_openai_chunk ch;
    char err[256];
    c->rec->frames++;
    if (tdm_openai_parse(c->whole.data, c->whole.len, &ch, err, sizeof err) != 0) {
        fail(c, TDM_ERR_PROTOCOL, "malformed reply from server: %s", err);
        return;
    }
    if (take(c, &ch, "server reported an error: %s") == 0) {
        if (ch.whole)
            finish(c);
        else
            fail(c, TDM_ERR_PROTOCOL, "%s",
                 "the reply is JSON but not a chat completion (no choices[0].message); is the url an "
                 "OpenAI-compatible server?");
    }
    tdm_openai_chunk_clear(&ch);
}

void tdm_call_openai_end(tdm_call *c)
{
    if (c->form == TDM_BODY_WHOLE) {
        end_whole(c);
        return;
    }
    size_t held = tdm_sse_pending(&c->sse);
    if (held > 0) {
        char n[32];
        snprintf(n, sizeof n, "%zu", held);
        fail(c, TDM_ERR_DISCONNECTED, "the response ended in the middle of a Server-Sent Event (%s bytes unfinished)",
             n);
    } else {
        fail(c, TDM_ERR_DISCONNECTED, "%s",
             c->rec->http_status == 0 ? "the connection closed before any response"
                                      : "the response ended before its final event (data: [DONE])");
    }
}

bool tdm_call_openai_error_message(const char *body, size_t len, size_t max, char *msg)
{
    tdm_openai_chunk ch;
    char err[8];
    if (len == 0 || tdm_openai_parse(body, len, &ch, err, sizeof err) != 0)
        return false;
    bool found = ch.error != NULL;
    if (found)
        tdm_utf8_excerpt(ch.error, strlen(ch.error), max, true, msg);
    tdm_openai_chunk_clear(&ch);
    return found;
}
