/* json_member.h — what the jansson-based parsers of server replies share
 * (ollama_proto.c for Ollama's lines, openai_proto.c for OpenAI's events): an error
 * message that quotes the start of the offending input, the name of a JSON value's
 * type, and copies of the strings they keep. One place, so the two protocols word their
 * errors alike. */
#ifndef TDM_JSON_MEMBER_H
#define TDM_JSON_MEMBER_H

#include <jansson.h>
#include <stddef.h>

/* Error messages quote at most this many bytes of the input. */
#define TDM_JSON_QUOTE_MAX 80

/* Writes "<reason>; <what>: <first bytes of data>" to err (what: "line", "event") and
 * returns -1. err may be NULL. */
__attribute__((format(printf, 6, 7))) int tdm_json_fail(const char *what, const char *data, size_t len, char *err,
                                                        size_t errlen, const char *fmt, ...);

/* "an object", "a string", ... for messages that say what was found. */
const char *tdm_json_type_name(const json_t *v);

/* Heap copy of n bytes, NUL-terminated; by length because a JSON string may hold
 * "\u0000". NULL when memory ran out. */
char *tdm_json_dup_bytes(const char *s, size_t n);

/* Copies a JSON string into a fixed field, truncating: done_reason, model and
 * finish_reason are labels, not data. */
void tdm_json_copy_label(char *dst, size_t cap, const json_t *s);

#endif
