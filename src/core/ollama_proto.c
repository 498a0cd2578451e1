/* ollama_proto.c — parses one Ollama /api/generate or /api/chat response object (a
 * streamed line or a whole non-streamed body) with jansson (see ollama_proto.h). The
 * common lines take the tree-free path of ollama_fastline.c first; every line it
 * declines, and every error message, comes from here.
 *
 * Strict on the members we read (a wrong type is an error, since it means we misread the
 * protocol and would otherwise count tokens wrongly), silent on every other member:
 * "created_at", "context", "tool_calls", "images" and whatever later servers add. */
#include "core/ollama_proto.h"

#include "core/json_member.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Looks up key as a string member. Returns it, or NULL when absent or JSON null (some
 * proxies write null for "no value"); *bad is set when it exists with another type. */
static const json_t *string_member(const json_t *obj, const char *key, const json_t **bad)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = v;
        return NULL;
    }
    return v;
}

static const struct {
    const char *key;
    size_t off;
} counter_keys[] = {
    {"total_duration", offsetof(tdm_server_counters, total_duration_ns)},
    {"load_duration", offsetof(tdm_server_counters, load_duration_ns)},
    {"prompt_eval_count", offsetof(tdm_server_counters, prompt_eval_count)},
    {"prompt_eval_duration", offsetof(tdm_server_counters, prompt_eval_duration_ns)},
    {"eval_count", offsetof(tdm_server_counters, eval_count)},
    {"eval_duration", offsetof(tdm_server_counters, eval_duration_ns)},
};

/* Parses the members of obj into out. Returns 0, or -1 after writing err. */
static int parse_object(const json_t *obj, const char *line, size_t len, tdm_ollama_line *out,
                        char *err, size_t errlen)
{
    const json_t *bad = NULL;
    const json_t *v;

#define WRONG(key, expected)                                                                   \
    tdm_json_fail("line", line, len, err, errlen, "\"%s\" is %s, expected %s", (key), tdm_json_type_name(bad), (expected))

    if ((v = string_member(obj, "error", &bad))) {
        out->error = tdm_json_dup_bytes(json_string_value(v), json_string_length(v));
        if (!out->error)
            return tdm_json_fail("line", line, len, err, errlen, "out of memory copying \"error\"");
    } else if (bad) {
        return WRONG("error", "a string");
    }

    if ((v = string_member(obj, "model", &bad)))
        tdm_json_copy_label(out->model, sizeof out->model, v);
    else if (bad)
        return WRONG("model", "a string");

    if ((v = string_member(obj, "done_reason", &bad)))
        tdm_json_copy_label(out->done_reason, sizeof out->done_reason, v);
    else if (bad)
        return WRONG("done_reason", "a string");

    v = json_object_get(obj, "done");
    if (v && json_is_boolean(v)) {
        out->done = json_is_true(v);
    } else if (v && !json_is_null(v)) {
        bad = v;
        return WRONG("done", "true or false");
    }

    /* Generate puts the text at the top level, chat inside "message"; were both present
     * (no server does that), the top-level member wins. */
    const json_t *content = string_member(obj, "response", &bad);
    if (bad)
        return WRONG("response", "a string");
    const json_t *thinking = string_member(obj, "thinking", &bad);
    if (bad)
        return WRONG("thinking", "a string");
    const json_t *msg = json_object_get(obj, "message");
    if (msg && json_is_object(msg)) {
        const json_t *c = string_member(msg, "content", &bad);
        if (bad)
            return WRONG("message.content", "a string");
        const json_t *t = string_member(msg, "thinking", &bad);
        if (bad)
            return WRONG("message.thinking", "a string");
        if (!content)
            content = c;
        if (!thinking)
            thinking = t;
    } else if (msg && !json_is_null(msg)) {
        bad = msg;
        return WRONG("message", "an object");
    }

    /* Always a heap string on success, "" when absent, so callers append without checks. */
    out->content = content ? tdm_json_dup_bytes(json_string_value(content), json_string_length(content))
                           : tdm_json_dup_bytes("", 0);
    out->content_len = content ? json_string_length(content) : 0;
    out->thinking = thinking ? tdm_json_dup_bytes(json_string_value(thinking), json_string_length(thinking))
                             : tdm_json_dup_bytes("", 0);
    out->thinking_len = thinking ? json_string_length(thinking) : 0;
    if (!out->content || !out->thinking)
        return tdm_json_fail("line", line, len, err, errlen, "out of memory copying the response text");

    for (size_t i = 0; i < sizeof counter_keys / sizeof counter_keys[0]; i++) {
        v = json_object_get(obj, counter_keys[i].key);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            bad = v;
            return WRONG(counter_keys[i].key, "a non-negative integer");
        }
        int64_t *dst = (int64_t *)((char *)&out->counters + counter_keys[i].off);
        *dst = (int64_t)json_integer_value(v);
    }
#undef WRONG
    return 0;
}

int tdm_ollama_parse_tree(const char *line, size_t len, tdm_ollama_line *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    tdm_server_counters_init(&out->counters);
    if (err && errlen > 0)
        err[0] = '\0';
    if (!line) {
        line = "";
        len = 0;
    }

    json_error_t jerr;
    /* DECODE_ANY so a bare number or string is reported as "not an object" rather than
     * as a syntax error; ALLOW_NUL because a token may be "\u0000" and we copy by length. */
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        /* jansson's text may echo bytes of the line ("near '...'"): mask them as well. */
        char why[sizeof jerr.text + 4];
        tdm_utf8_excerpt(jerr.text, strnlen(jerr.text, sizeof jerr.text), sizeof jerr.text, false, why);
        return tdm_json_fail("line", line, len, err, errlen, "not valid JSON (at byte %d: %s)", jerr.position, why);
    }

    int rc;
    if (!json_is_object(root))
        rc = tdm_json_fail("line", line, len, err, errlen, "expected a JSON object, got %s", tdm_json_type_name(root));
    else
        rc = parse_object(root, line, len, out, err, errlen);
    json_decref(root);
    if (rc != 0)
        tdm_ollama_line_clear(out);
    return rc;
}

int tdm_ollama_parse_line(const char *line, size_t len, tdm_ollama_line *out, char *err,
                          size_t errlen)
{
    if (line && tdm_ollama_parse_fast(line, len, out)) {
        if (err && errlen > 0)
            err[0] = '\0';
        return 0;
    }
    return tdm_ollama_parse_tree(line, len, out, err, errlen);
}
