/* call.h — turns what a transport delivers for one call into its raw record.
 *
 * Every variant, whatever its runtime and HTTP client, reports the same few events:
 * the request is about to be written, the status line arrived, a read delivered body
 * bytes, the response ended, or the transport failed. This file frames those bytes
 * into NDJSON lines (Ollama's APIs) or Server-Sent Events (the OpenAI API, by the
 * record's api), parses them and timestamps each token event with the arrival time of
 * the read that completed it. Because it is the same code in every binary, a
 * difference between variants cannot come from measurement code. */
#ifndef TDM_CALL_H
#define TDM_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/ndjson.h"
#include "core/record.h"
#include "core/scenario.h"
#include "core/sse.h"

/* What tdm_call_body / tdm_call_end return. */
enum { TDM_CALL_MORE = 0, TDM_CALL_DONE = 1, TDM_CALL_FAILED = -1 };

/* How an OpenAI reply's body is read, told by its first byte that is not blank: an SSE
 * stream never starts with '{', a whole JSON reply ("stream": false) always does. */
typedef enum tdm_call_body_form { TDM_BODY_UNSEEN = 0, TDM_BODY_EVENTS, TDM_BODY_WHOLE } tdm_call_body_form;

typedef struct tdm_call {
    tdm_call_record *rec;
    tdm_timeouts timeouts;
    tdm_ndjson framer;     /* Ollama's APIs */
    tdm_sse sse;           /* api openai, streamed */
    tdm_call_body_form form; /* api openai */
    tdm_buf whole;         /* api openai, not streamed: the body, parsed at its end */
    size_t max_line;       /* the scenario's max_line_bytes: also the limit of an event and a whole body */
    tdm_server_counters oa_counters; /* api openai: what the events so far carried */
    char oa_finish[32];    /* api openai: the last finish_reason seen */
    int64_t t_read;        /* arrival time of the read being framed */
    int64_t t_last_read;   /* for the idle timeout */
    bool finished;         /* final line parsed or failure recorded */
    tdm_buf error_body;    /* body of a non-2xx response, parsed at the end */
} tdm_call;

/* rec->api (set by the job) decides how the body is framed. */
void tdm_call_init(tdm_call *c, tdm_call_record *rec, const tdm_timeouts *t, size_t max_line);
void tdm_call_free(tdm_call *c);

/* The call is handed to the transport (connection set-up may follow). */
void tdm_call_begin(tdm_call *c, int64_t now);
/* The first request byte is about to be written. connect_ns is the connection set-up
 * time (0 when an open connection is reused). */
void tdm_call_request_started(tdm_call *c, int64_t now, int64_t connect_ns, bool reused);
/* The status line arrived. */
void tdm_call_status(tdm_call *c, int status, int64_t now);
/* One transport read delivered len body bytes (already de-chunked) at time now.
 * Returns TDM_CALL_MORE, TDM_CALL_DONE (final line, or "data: [DONE]", parsed) or
 * TDM_CALL_FAILED. */
int tdm_call_body(tdm_call *c, const char *data, size_t len, int64_t now);
/* The same in two steps, for transports that de-chunk the body themselves and may
 * hand one socket read out as several slices: tdm_call_read counts the read and takes
 * its arrival time; each decoded slice of it then goes to tdm_call_slice. */
void tdm_call_read(tdm_call *c, int64_t now);
int tdm_call_slice(tdm_call *c, const char *data, size_t len);
/* The response ended (clean end of body or EOF). Settles the outcome: a response that
 * ended before its final line is a failure. Returns TDM_CALL_DONE or TDM_CALL_FAILED. */
int tdm_call_end(tdm_call *c, int64_t now);
/* The transport failed (connect refused, reset, ...). */
void tdm_call_fail(tdm_call *c, tdm_error_kind kind, int64_t now, const char *message);

/* Earliest instant at which a timeout would fire (monotonic ns), for runtimes that arm
 * their own timers; 0 when the call is finished. */
int64_t tdm_call_deadline(const tdm_call *c);
/* Records a timeout if one has passed; returns true when the call just timed out. */
bool tdm_call_check_timeouts(tdm_call *c, int64_t now);

#endif
