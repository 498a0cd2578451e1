/* call_openai.h — the OpenAI API's part of the per-call stream consumer (call.h): the
 * body of a POST /v1/chat/completions into the call's record. Used by call.c only; it
 * calls nothing of call.c back. */
#ifndef TDM_CALL_OPENAI_H
#define TDM_CALL_OPENAI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/call.h"

/* A slice of a 2xx body; returns as tdm_call_slice. */
int tdm_call_openai_slice(tdm_call *c, const char *data, size_t len);
/* The 2xx body ended and the call is not finished: settles it (a whole reply is parsed
 * now; a stream that ended before "data: [DONE]" is a failure). */
void tdm_call_openai_end(tdm_call *c);
/* The message of an OpenAI-shaped error body ({"error": {"message": ...}}) into msg
 * (an excerpt of at most max bytes, see tdm_utf8_excerpt: msg holds max + 4). Returns
 * false when the body is not one. */
bool tdm_call_openai_error_message(const char *body, size_t len, size_t max, char *msg);

#endif
