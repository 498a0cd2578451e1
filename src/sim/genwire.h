/* genwire.h — the bytes of a generation request's answer in the API it came through:
 * Ollama's NDJSON lines (/api/generate, /api/chat; wire.h) or OpenAI's SSE events and
 * objects (/v1/chat/completions; openai.h). gen.c decides what happens and when; this
 * file only says how each event looks, so both APIs share one timing model, one slot
 * queue and one set of faults.
 *
 * Every builder appends one HTTP chunk's worth of payload to b, terminators included
 * (a line's '\n', an event's blank line); a whole (non-streamed) answer is the complete
 * body. */
#ifndef TDM_SIM_GENWIRE_H
#define TDM_SIM_GENWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sim/request.h"
#include "sim/wire.h"

/* Content-Type of a stream, and of a whole answer or error body the handler writes. */
const char *tdm_sim_genwire_stream_type(int api);
const char *tdm_sim_genwire_json_type(int api);

/* One token of a stream. id: the N of OpenAI's "chatcmpl-N" (unused by Ollama's API). */
int tdm_sim_genwire_token(tdm_buf *b, const tdm_sim_genreq *rq, int id, const char *text,
                          size_t len);

/* How a request ends. */
typedef struct tdm_sim_genend {
    bool whole;                       /* one JSON body: "stream": false, or a load line */
    const char *done_reason;          /* "stop", "length", "load", "unload" */
    const tdm_sim_counters *counters; /* NULL: none (load and unload lines) */
    const char *text;                 /* whole: the full text; a stream's end has none */
    size_t text_len;
    const int32_t *context;           /* generate: the context ids */
    size_t n_context;
} tdm_sim_genend;

/* Ollama: the final line. OpenAI: the finish chunk, the usage chunk (with
 * include_usage) and [DONE], one payload; or the chat.completion object. */
int tdm_sim_genwire_end(tdm_buf *b, const tdm_sim_genreq *rq, int id, const tdm_sim_genend *e);

/* The model runner failed after some tokens (fault error-line; error-event with event).
 * Ollama: an {"error":msg} line (a whole answer: the 500 body). OpenAI stream: what
 * Ollama really sends, an empty chunk with "model":"" (the message is lost), or with
 * event the error as an event, `data: {"error":{...}}`, as OpenAI's own API, vLLM and
 * llama-server send it; OpenAI whole: the 500 error object. */
int tdm_sim_genwire_failure(tdm_buf *b, const tdm_sim_genreq *rq, int id, const char *msg,
                            bool event);

/* An error answered before any stream, as the handler behind the API writes it:
 * {"error":msg}, or (OpenAI) writeError's object of type "api_error" with a newline. */
int tdm_sim_genwire_error(tdm_buf *b, int api, const char *msg);

/* The malformed fault: a line or event cut off inside a JSON string. */
int tdm_sim_genwire_malformed(tdm_buf *b, const tdm_sim_genreq *rq, int id);

#endif
