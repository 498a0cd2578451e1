/* record.h — the raw per-call record: everything measured about one streamed request.
 *
 * Raw records come first; every derived number (metrics.c, the report stage) is
 * recomputed from them. Times are client CLOCK_MONOTONIC nanoseconds (0 = never
 * reached); server counters are kept raw, exactly as the final line gave them. */
#ifndef TDM_RECORD_H
#define TDM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/ollama_proto.h"
#include "core/scenario.h"

typedef enum tdm_phase {
    TDM_PHASE_WARMUP = 0,
    TDM_PHASE_SEQUENTIAL = 1,
    TDM_PHASE_CONCURRENT = 2,
} tdm_phase;

const char *tdm_phase_name(tdm_phase p);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int tdm_phase_from_name(const char *name, tdm_phase *out);

/* Why a call failed. Each kind has a stable name written into records. */
typedef enum tdm_error_kind {
    TDM_ERR_NONE = 0,
    TDM_ERR_CONNECT,           /* refused, unreachable, DNS */
    TDM_ERR_HTTP_STATUS,       /* non-2xx before streaming (message from the body) */
    TDM_ERR_MODEL_NOT_FOUND,   /* 404 "model 'x' not found" */
    TDM_ERR_SERVER,            /* an {"error": ...} line (or SSE event) mid-stream */
    TDM_ERR_PROTOCOL,          /* malformed line or event, bad chunking, bad headers */
    TDM_ERR_LINE_TOO_LONG,     /* a line (or SSE event) over max_line_bytes */
    TDM_ERR_DISCONNECTED,      /* the connection ended before the final line */
    TDM_ERR_TIMEOUT_CONNECT,
    TDM_ERR_TIMEOUT_FIRST_BYTE,
    TDM_ERR_TIMEOUT_IDLE,
    TDM_ERR_TIMEOUT_TOTAL,
    TDM_ERR_SKIPPED,           /* not run: an earlier step of the agent failed */
    TDM_ERR_INTERNAL,          /* out of memory, a library call failed */
    TDM_ERR_KIND_COUNT
} tdm_error_kind;

const char *tdm_error_kind_name(tdm_error_kind k);
int tdm_error_kind_from_name(const char *name, tdm_error_kind *out);

/* One event of the stream that carried generated text. */
typedef struct tdm_token_event {
    int64_t t_ns;            /* arrival (start of the read that completed the line) */
    uint32_t content_bytes;  /* bytes of generated content in the line */
    uint32_t thinking_bytes; /* bytes of reasoning text in the line */
} tdm_token_event;

typedef struct tdm_call_record {
    /* identity */
    int run;                 /* 1-based repetition */
    tdm_phase phase;
    int agent;               /* index into the scenario's agents */
    int step;                /* index into the agent's steps */
    tdm_api api;             /* the API the call spoke (the agent's): how its body is framed */

    /* client timeline (monotonic ns; 0 = not reached) */
    int64_t t_due;           /* the call was due to start (an open-loop arrival); 0: no due time of its
                              * own, it started at the release or when the agent's previous call ended */
    int64_t t_begin;         /* the call was handed to the transport */
    int64_t t_start;         /* just before the first request byte was written */
    int64_t t_first_byte;    /* first response byte */
    int64_t t_done;          /* final line parsed, or the failure noticed */
    int64_t connect_ns;      /* TCP connect time; 0 on a reused connection */
    bool reused_connection;
    /* The request went out on a kept-alive connection the server had closed, before any
     * response byte: it was resent once on a fresh connection (the harness's own stale
     * connection, never the server's failure). first_error (heap) says what the first
     * attempt met; NULL when there was no retry. */
    bool retried_stale_connection;
    char *first_error;

    /* the stream as it arrived */
    tdm_token_event *events;
    size_t n_events;
    size_t cap_events;
    uint64_t bytes;          /* response body bytes received */
    uint64_t reads;          /* transport reads / write-callback deliveries */
    uint64_t frames;         /* complete NDJSON lines, or Server-Sent Events with data (api openai) */
    int http_status;         /* 0 until the status line arrived */
    tdm_buf text;            /* generated content, concatenated */
    uint64_t thinking_bytes_total;

    /* the server's final line */
    bool have_final;
    char done_reason[32];
    tdm_server_counters server;

    /* outcome */
    bool ok;
    tdm_error_kind error_kind;
    char *error_message;     /* heap; NULL when ok */

    /* what was asked (kept for provenance and for the next step's {previous}) */
    char *request_url;       /* full URL of the call */
    char *prompt_sent;       /* the prompt as sent, kept only for a later step's history (not written) */
    /* a workflow step: the steps it waited for (heap, n_after of them) and the think time it
     * paused after they finished; the raw material of the critical path (metrics.c) */
    tdm_step_ref *after;
    size_t n_after;
    int64_t think_ns;
    uint64_t request_bytes;  /* request body size */
} tdm_call_record;

void tdm_record_init(tdm_call_record *r, int run, tdm_phase phase, int agent, int step);
void tdm_record_free(tdm_call_record *r);
/* Appends a token event; returns 0 or -1 when out of memory. */
int tdm_record_add_event(tdm_call_record *r, int64_t t_ns, uint32_t content_bytes, uint32_t thinking_bytes);
/* Marks the call failed (first failure wins: later calls are ignored). */
void tdm_record_fail(tdm_call_record *r, tdm_error_kind kind, int64_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
