/* reqjson.h — a request body read the way Go's encoding/json decodes it into Ollama's
 * structs, with Go's own error messages. Shared by the native bodies (request.c) and the
 * OpenAI ones (openai_request.c), which differ only in their structs and field names.
 *
 * Go keeps the first type mismatch it meets and reports it once the whole value is read
 * (a tdm_sim_decode records it); a custom unmarshaler's error ends decoding at once
 * (fatal). */
#ifndef TDM_SIM_REQJSON_H
#define TDM_SIM_REQJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct tdm_sim_decode {
    char *err;
    size_t errlen;
    bool mismatch;      /* a type error was recorded in err */
    bool fatal;         /* err is final: stop */
} tdm_sim_decode;

/* The first JSON value of body as json.Decoder reads it (see gojson.h); null is an empty
 * object. Returns a new object, or NULL with the message in err: eof_msg for an empty
 * body (Ollama's handlers say "missing request body", its OpenAI middleware "EOF"), Go's
 * syntax error, or "json: cannot unmarshal <kind> into Go value of type <go_type>". */
json_t *tdm_sim_json_body(const char *body, size_t len, const char *go_type,
                          const char *eof_msg, char *err, size_t errlen);
/* The value Go would decode into the field `name`: the last key matching it exactly or
 * case-insensitively (encoding/json's field matching), or NULL. */
json_t *tdm_sim_json_get(json_t *obj, const char *name);
/* Go's name for a value's kind in "json: cannot unmarshal <kind> into ...". */
const char *tdm_sim_json_kind(const json_t *v);
/* reflect.TypeOf of what json.Unmarshal into an `any` gives ("float64", "<nil>", ...). */
const char *tdm_sim_json_any_type(const json_t *v);

/* Records "json: cannot unmarshal <kind> into Go struct field <field> of type <type>"
 * unless an error is already recorded. */
void tdm_sim_decode_mismatch(tdm_sim_decode *d, const char *kind, const char *field,
                             const char *type);
/* A string field: its value, or "" when absent, null or of another type (recorded). */
const char *tdm_sim_decode_str(tdm_sim_decode *d, json_t *v, const char *field, size_t *n);
/* A bool field: *out is left alone when absent, null or of another type (recorded). */
void tdm_sim_decode_bool(tdm_sim_decode *d, json_t *v, const char *field, bool *out);

#endif
