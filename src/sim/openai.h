/* openai.h — Ollama 0.11.4's OpenAI-compatible API (openai/openai.go): how
 * POST /v1/chat/completions bodies are read, and the JSON of its answers and of
 * GET /v1/models. Ollama serves it as a middleware around its native chat handler: the
 * request is translated into an /api/chat request, and each native response line is
 * rewritten on the way out, so the timing, slots and faults are the chat's own.
 *
 * What goes on the wire (verified against the real server, tests/e2e/captures/openai-*):
 *  - a stream is Content-Type text/event-stream, chunked, one `data: <chunk>\n\n` event
 *    per HTTP chunk, every chunk with delta {"role":"assistant","content":...} (no
 *    role-only first chunk); the last one has content "" and finish_reason "stop" or
 *    "length", and goes out in ONE HTTP chunk with the usage chunk (choices [], only
 *    with stream_options.include_usage) and `data: [DONE]\n\n`;
 *  - "stream" defaults to false: one chat.completion object, application/json, with a
 *    trailing newline (json.Encoder);
 *  - ids are "chatcmpl-<0..998>", system_fingerprint "fp_ollama", created Unix seconds;
 *  - the middleware's own 400s (bad JSON, wrong types, no messages) are gin's
 *    AbortWithStatusJSON: application/json; charset=utf-8, no newline, type
 *    "invalid_request_error"; every error of the handler behind it (model is required,
 *    404 model not found, 500) passes through writeError: application/json, a newline,
 *    type "api_error" whatever the status;
 *  - an error after streaming started never reaches the client: the handler's
 *    {"error":...} line is decoded as an empty chat response, so the stream ends with a
 *    chunk of content "" and "model":"", finish_reason null, and no [DONE]. */
#ifndef TDM_SIM_OPENAI_H
#define TDM_SIM_OPENAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sim/models.h"
#include "sim/request.h"

/* tdm_sim_oai_parse's results. */
enum {
    TDM_SIM_OAI_OK = 0,
    TDM_SIM_OAI_HANDLER_ERROR = -1,    /* 400 from the chat handler: "model is required" */
    TDM_SIM_OAI_MIDDLEWARE_ERROR = -2, /* 400 from ChatMiddleware itself */
};

/* Parses a /v1/chat/completions body into a chat request (api TDM_SIM_API_OPENAI):
 * max_tokens is num_predict, seed the seed, each message (or text part of one) a chat
 * message; stream defaults to false. Returns TDM_SIM_OAI_OK, or an error kind with
 * Ollama's message in err. On success the caller frees with tdm_sim_genreq_free. */
int tdm_sim_oai_parse(const char *body, size_t len, tdm_sim_genreq *out, char *err,
                      size_t errlen);

/* One chat.completion.chunk object (no SSE framing). finish NULL sends null. */
int tdm_sim_oai_chunk(tdm_buf *b, int id, int64_t created, const char *model,
                      const char *content, size_t len, const char *finish);
/* The usage chunk: "choices":[] and the counts. */
int tdm_sim_oai_usage_chunk(tdm_buf *b, int id, int64_t created, const char *model,
                            int64_t prompt_tokens, int64_t completion_tokens);
/* A whole chat.completion object, with json.Encoder's trailing newline. finish NULL or
 * "" sends null. */
int tdm_sim_oai_completion(tdm_buf *b, int id, int64_t created, const char *model,
                           const char *content, size_t len, const char *finish,
                           int64_t prompt_tokens, int64_t completion_tokens);
/* {"error":{"message","type","param":null,"code":null}} without a newline. */
int tdm_sim_oai_error(tdm_buf *b, const char *type, const char *msg);

/* GET /v1/models: every served model, created = its modified_at; with a newline. */
int tdm_sim_oai_models(tdm_buf *b, const tdm_sim_model *models, size_t n);
/* GET /v1/models/NAME for a served model: the name as asked for; with a newline. */
int tdm_sim_oai_model(tdm_buf *b, const char *name);
/* model.ParseName(name).Namespace: the part before the model name, "library" if none. */
void tdm_sim_oai_owner(const char *name, char *out, size_t outlen);

#endif
