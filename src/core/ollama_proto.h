/* ollama_proto.h — parses one line (or one whole body) of Ollama's /api/generate and
 * /api/chat responses, streamed or not, with jansson.
 *
 * Generate lines carry "response" (and "thinking" on reasoning models); chat lines carry
 * "message": {"content", "thinking"}. The final line has "done": true, "done_reason" and
 * the server's nanosecond counters. Any line with an "error" member ends the call with
 * that message, whatever its status code. See OLLAMA-WIRE in ARTIFACT.md. */
#ifndef TDM_OLLAMA_PROTO_H
#define TDM_OLLAMA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Server counters from the final line; -1 when the server omitted a field (Ollama
 * omits counters that are zero, so a caller may read -1 as 0 where that matters). */
typedef struct tdm_server_counters {
    int64_t total_duration_ns;
    int64_t load_duration_ns;
    int64_t prompt_eval_count;
    int64_t prompt_eval_duration_ns;
    int64_t eval_count;
    int64_t eval_duration_ns;
} tdm_server_counters;

void tdm_server_counters_init(tdm_server_counters *c);

typedef struct tdm_ollama_line {
    bool done;               /* "done": true */
    char *content;           /* generated text ("response" or "message.content"); heap, may be "" */
    size_t content_len;
    char *thinking;          /* reasoning text ("thinking" / "message.thinking"); heap, may be "" */
    size_t thinking_len;
    char *error;             /* the "error" member's message, NULL when absent */
    char done_reason[32];    /* "" when absent */
    char model[128];         /* "" when absent */
    tdm_server_counters counters;
} tdm_ollama_line;

/* Parses one JSON object. Returns 0 on success. Returns -1 when the line is not a JSON
 * object or a member has the wrong type; err then says what was wrong, quoting at most
 * the first 80 bytes of the line. *out is always left safe to clear.
 * *out is overwritten, not freed: clear it between calls. On success content and thinking
 * are never NULL ("" when absent). A member that is JSON null counts as absent; unknown
 * members are ignored; done_reason and model are truncated to fit. */
int tdm_ollama_parse_line(const char *line, size_t len, tdm_ollama_line *out, char *err, size_t errlen);
void tdm_ollama_line_clear(tdm_ollama_line *l);

/* The two paths tdm_ollama_parse_line takes, apart for tests and benchmarks.
 * The fast path (ollama_fastline.c) reads a line without building a tree. It returns true
 * with *out filled exactly as the tree path would fill it, or false, with *out cleared,
 * when the line is anything it is not certain of: then the tree path decides. */
bool tdm_ollama_parse_fast(const char *line, size_t len, tdm_ollama_line *out);
/* The fast path as a stream consumer wants it: the same, except that the content is
 * decoded straight onto the end of *text and nothing is allocated for it: out->content
 * and out->thinking stay NULL, content_len and thinking_len are set. When it declines,
 * *text is as it was. */
bool tdm_ollama_parse_fast_append(const char *line, size_t len, tdm_ollama_line *out, tdm_buf *text);
/* The jansson path: every line, every error message. */
int tdm_ollama_parse_tree(const char *line, size_t len, tdm_ollama_line *out, char *err, size_t errlen);

#endif
