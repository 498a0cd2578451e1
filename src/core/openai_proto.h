/* openai_proto.h — parses one event of the OpenAI API's streamed chat completion (a
 * "chat.completion.chunk"), or a whole non-streamed "chat.completion".
 *
 * What the record needs from it, whichever server sent it (Ollama, llama.cpp's
 * llama-server, vLLM): the text of choices[0].delta (streamed) or choices[0].message
 * (whole), as "content" and as reasoning ("reasoning", or "reasoning_content" as
 * llama-server and vLLM name it), choices[0].finish_reason, the usage block's token
 * counts and llama-server's "timings". An {"error": {...}} object (or an "error" string)
 * is the server's failure, with its message. The "data: [DONE]" sentinel is not JSON and
 * is told apart by tdm_openai_is_done. */
#ifndef TDM_OPENAI_PROTO_H
#define TDM_OPENAI_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ollama_proto.h"

typedef struct tdm_openai_chunk {
    char *content;          /* choices[0].delta.content (or .message.content); heap, "" when absent */
    size_t content_len;
    char *reasoning;        /* .reasoning, else .reasoning_content; heap, "" when absent */
    size_t reasoning_len;
    char *error;            /* error.message (or the "error" string); NULL when absent */
    char finish_reason[32]; /* "" when absent or null */
    char model[128];        /* "" when absent */
    bool whole;             /* a "chat.completion" (choices[0].message), not a chunk */
    /* The server's counters this object carried, -1 where it carried none:
     * usage.prompt_tokens -> prompt_eval_count, usage.completion_tokens -> eval_count;
     * llama-server's timings.prompt_ms -> prompt_eval_duration_ns, timings.predicted_ms ->
     * eval_duration_ns, and timings.prompt_n / predicted_n as the counts when there is no
     * usage block. total_duration and load_duration are never set: no such server sends them. */
    tdm_server_counters counters;
} tdm_openai_chunk;

/* True when an event's data is the end-of-stream sentinel "[DONE]". */
bool tdm_openai_is_done(const char *data, size_t len);

/* Parses one JSON object. Returns 0, or -1 when it is not a JSON object or a member we
 * read has the wrong type; err then says what was wrong, quoting at most the first 80
 * bytes. *out is overwritten, not freed (clear it between calls) and always safe to
 * clear. On success content and reasoning are never NULL. JSON null counts as absent;
 * unknown members ("id", "created", "system_fingerprint", "tool_calls", ...) are ignored. */
int tdm_openai_parse(const char *data, size_t len, tdm_openai_chunk *out, char *err, size_t errlen);
/* The two paths tdm_openai_parse takes, for tests and the fuzz target. The tree-free path
 * (openai_fastchunk.c) returns true with *out filled as the jansson path would fill it,
 * or false with *out cleared, leaving the object to the jansson path: it declines
 * whatever it is not sure of, errors included. */
bool tdm_openai_parse_fast(const char *data, size_t len, tdm_openai_chunk *out);
int tdm_openai_parse_tree(const char *data, size_t len, tdm_openai_chunk *out, char *err, size_t errlen);
void tdm_openai_chunk_clear(tdm_openai_chunk *c);

/* Copies into *acc every counter c holds (>= 0): counters arrive over several events
 * (llama-server's timings with the last content, usage in an event of its own). */
void tdm_openai_merge_counters(tdm_server_counters *acc, const tdm_server_counters *c);

#endif
