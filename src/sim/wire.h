/* wire.h — the JSON the simulator sends, byte-compatible with Ollama (Go's encoding/json
 * over api.GenerateResponse / api.ChatResponse): fields in struct order (chat puts
 * done_reason before done, generate after it), counters omitted when zero, strings escaped the way Go escapes them (<, >, & as \u003c..., invalid
 * UTF-8 as U+FFFD). Builders append to a tdm_buf, without the trailing newline. */
#ifndef TDM_SIM_WIRE_H
#define TDM_SIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Ollama's final-line counters (api.Metrics); all durations in nanoseconds. */
typedef struct tdm_sim_counters {
    int64_t total_duration;
    int64_t load_duration;
    int64_t prompt_eval_count;
    int64_t prompt_eval_duration;
    int64_t eval_count;
    int64_t eval_duration;
} tdm_sim_counters;

/* What one response line describes. */
typedef struct tdm_sim_line {
    bool chat;                /* api.ChatResponse (message) rather than api.GenerateResponse */
    const char *model;        /* the model name as the client sent it */
    const char *created_at;   /* RFC 3339 with nanoseconds, UTC */
    const char *text;         /* response / message.content */
    size_t text_len;
    bool done;
    const char *done_reason;  /* NULL or "" omits it */
    const int32_t *context;   /* generate only; omitted when n_context == 0 */
    size_t n_context;
    const tdm_sim_counters *counters; /* NULL: no counters */
} tdm_sim_line;

/* Appends s[0..len) as a JSON string literal, escaped as Go's encoding/json does. */
int tdm_sim_json_str(tdm_buf *b, const char *s, size_t len);
/* Formats a UTC time the way Go's time.RFC3339Nano does: trailing zeros of the fraction
 * (and a fraction of zero) are dropped, e.g. "2025-11-14T00:29:24.2966339Z". */
void tdm_sim_rfc3339nano(int64_t sec, long nsec, char *out, size_t outlen);
/* The current wall time in that format. out holds at least 40 bytes. */
void tdm_sim_wall_now(char *out, size_t outlen);

/* A generate or chat response line (a token line, a final line or a load line). */
int tdm_sim_wire_line(tdm_buf *b, const tdm_sim_line *l);
/* {"error":"<msg>"} */
int tdm_sim_wire_error(tdm_buf *b, const char *msg);

#endif
