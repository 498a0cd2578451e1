/* reqjson.c — Go's decoding of request bodies (see reqjson.h). */
#include "sim/reqjson.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim/gojson.h"

const char *tdm_sim_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

const char *tdm_sim_json_any_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "<nil>";
    }
}

json_t *tdm_sim_json_body(const char *body, size_t len, const char *go_type,
                          const char *eof_msg, char *err, size_t errlen)
{
    long end = tdm_sim_gojson_scan(body, len, err, errlen);
    if (end == TDM_SIM_GOJSON_EOF) {
        snprintf(err, errlen, "%s", eof_msg);
        return NULL;
    }
    if (end < 0)
        return NULL;
    json_error_t je;
    json_t *root = json_loadb(body, (size_t)end, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!root) {
        /* Valid JSON to Go that jansson refuses (invalid UTF-8 in a string, nesting
         * deeper than jansson's limit): say what jansson said. */
        snprintf(err, errlen, "invalid JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return NULL;
    }
    if (json_is_null(root)) {
        json_decref(root);
        return json_object();
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s",
                 tdm_sim_json_kind(root), go_type);
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *tdm_sim_json_get(json_t *obj, const char *name)
{
    const char *key;
    json_t *v, *found = NULL;
    json_object_foreach(obj, key, v) {
        if (strcasecmp(key, name) == 0)
            found = v;
    }
    return found;
}

void tdm_sim_decode_mismatch(tdm_sim_decode *d, const char *kind, const char *field,
                             const char *type)
{
    if (d->mismatch || d->fatal)
        return;
    d->mismatch = true;
    snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go struct field %s of type %s",
             kind, field, type);
}

const char *tdm_sim_decode_str(tdm_sim_decode *d, json_t *v, const char *field, size_t *n)
{
    *n = 0;
    if (!v || json_is_null(v))
        return "";
    if (!json_is_string(v)) {
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), field, "string");
        return "";
    }
    *n = json_string_length(v);
    return json_string_value(v);
}

void tdm_sim_decode_bool(tdm_sim_decode *d, json_t *v, const char *field, bool *out)
{
    if (!v || json_is_null(v))
        return;
    if (!json_is_boolean(v)) {
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), field, "bool");
        return;
    }
    *out = json_is_true(v);
}
