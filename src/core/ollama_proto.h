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

#endif
