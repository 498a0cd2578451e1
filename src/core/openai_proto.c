/* openai_proto.c — parses one OpenAI chat completion object, streamed chunk or whole
 * reply (see openai_proto.h): common chunks on the tree-free path of openai_fastchunk.c,
 * everything else with jansson here.
 *
 * Strict on the members we read, as ollama_proto.c is: a wrong type means we misread the
 * protocol and would count tokens wrongly, so it is an error that names the member. Every
 * other member is ignored, whatever later servers add. */
#include "core/openai_proto.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_member.h"
#include "core/utf8.h"

/* Durations beyond this many ms (about 3 years) are not a server's timing. */
#define MAX_MS 1e11

bool tdm_openai_is_done(const char *data, size_t len)
{
    /* Servers write exactly "[DONE]"; surrounding blanks are forgiven. */
    while (len > 0 && (*data == ' ' || *data == '\t')) {
        data++;
        len--;
    }
    while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    return len == 6 && memcmp(data, "[DONE]", 6) == 0;
}

void tdm_openai_chunk_clear(tdm_openai_chunk *c)
{
    free(c->content);
    free(c->reasoning);
    free(c->error);
    memset(c, 0, sizeof *c);
    tdm_server_counters_init(&c->counters);
}

void tdm_openai_merge_counters(tdm_server_counters *acc, const tdm_server_counters *c)
{
    int64_t *dst[] = {&acc->total_duration_ns, &acc->load_duration_ns, &acc->prompt_eval_count,
                      &acc->prompt_eval_duration_ns, &acc->eval_count, &acc->eval_duration_ns};
    const int64_t src[] = {c->total_duration_ns, c->load_duration_ns, c->prompt_eval_count,
                           c->prompt_eval_duration_ns, c->eval_count, c->eval_duration_ns};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
        if (src[i] >= 0)
            *dst[i] = src[i];
}

/* The member key of obj: NULL when absent or null; *bad set when present with a type
 * that is not `want` (JSON_STRING, JSON_OBJECT, ...). */
static const json_t *member(const json_t *obj, const char *key, json_type want, const json_t **bad)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (json_typeof(v) != want) {
        *bad = v;
        return NULL;
    }
    return v;
}

typedef struct pctx {
    const char *data;
    size_t len;
    char *err;
    size_t errlen;
} pctx;

static int wrong(const pctx *p, const char *key, const json_t *bad, const char *expected)
{
    return tdm_json_fail("event", p->data, p->len, p->err, p->errlen, "\"%s\" is %s, expected %s", key, tdm_json_type_name(bad), expected);
}

/* "error": {"message", "type", "param", "code"} (OpenAI), or a bare string (some proxies). */
static int parse_error(const pctx *p, const json_t *obj, tdm_openai_chunk *out)
{
    const json_t *e = json_object_get(obj, "error");
    if (!e || json_is_null(e))
        return 0;
    const json_t *msg = NULL, *bad = NULL;
    if (json_is_string(e)) {
        msg = e;
    } else if (json_is_object(e)) {
        msg = member(e, "message", JSON_STRING, &bad);
        if (bad)
            return wrong(p, "error.message", bad, "a string");
    } else {
        return wrong(p, "error", e, "an object with a message");
    }
    /* An error object without a message is still an error: say so rather than pass it. */
    out->error = msg ? tdm_json_dup_bytes(json_string_value(msg), json_string_length(msg))
                     : tdm_json_dup_bytes("(the server's error had no message)", 35);
    return out->error ? 0 : tdm_json_fail("event", p->data, p->len, p->err, p->errlen, "out of memory copying \"error\"");
}

/* A token count: a non-negative integer. Returns 0 (absent leaves *dst), or -1. */
static int count_member(const pctx *p, const json_t *obj, const char *key, const char *path, int64_t *dst)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return wrong(p, path, v, "a non-negative integer");
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

/* A duration in (fractional) milliseconds, kept in nanoseconds. */
static int ms_member(const pctx *p, const json_t *obj, const char *key, const char *path, int64_t *dst)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v) || !(json_number_value(v) >= 0) || json_number_value(v) > MAX_MS)
        return wrong(p, path, v, "a number of milliseconds >= 0");
    *dst = (int64_t)llround(json_number_value(v) * 1e6);
    return 0;
}

static int parse_counters(const pctx *p, const json_t *obj, tdm_openai_chunk *out)
{
    const json_t *bad = NULL;
    tdm_server_counters *c = &out->counters;
    const json_t *timings = member(obj, "timings", JSON_OBJECT, &bad);
    if (bad)
        return wrong(p, "timings", bad, "an object");
    if (timings && (count_member(p, timings, "prompt_n", "timings.prompt_n", &c->prompt_eval_count) ||
                    count_member(p, timings, "predicted_n", "timings.predicted_n", &c->eval_count) ||
                    ms_member(p, timings, "prompt_ms", "timings.prompt_ms", &c->prompt_eval_duration_ns) ||
                    ms_member(p, timings, "predicted_ms", "timings.predicted_ms", &c->eval_duration_ns)))
        return -1;
    /* The usage block's counts win over timings' (llama-server's prompt_n leaves out the
     * tokens it took from its cache; usage counts the whole prompt, as Ollama does). */
    const json_t *usage = member(obj, "usage", JSON_OBJECT, &bad);
    if (bad)
        return wrong(p, "usage", bad, "an object");
    if (usage && (count_member(p, usage, "prompt_tokens", "usage.prompt_tokens", &c->prompt_eval_count) ||
                  count_member(p, usage, "completion_tokens", "usage.completion_tokens", &c->eval_count)))
        return -1;
    return 0;
}

/* choices[0]: its delta (a chunk) or message (a whole reply) and finish_reason. */
static int parse_choice(const pctx *p, const json_t *obj, tdm_openai_chunk *out, const json_t **content,
                        const json_t **reasoning)
{
    const json_t *bad = NULL;
    const json_t *choices = member(obj, "choices", JSON_ARRAY, &bad);
    if (bad)
        return wrong(p, "choices", bad, "an array");
    if (!choices || json_array_size(choices) == 0)
        return 0; /* the usage event has "choices": [] */
    const json_t *ch = json_array_get(choices, 0);
    if (!json_is_object(ch))
        return wrong(p, "choices[0]", ch, "an object");
    const json_t *fr = member(ch, "finish_reason", JSON_STRING, &bad);
    if (bad)
        return wrong(p, "choices[0].finish_reason", bad, "a string or null");
    if (fr)
        tdm_json_copy_label(out->finish_reason, sizeof out->finish_reason, fr);
    const char *which = "delta";
    const json_t *m = member(ch, "delta", JSON_OBJECT, &bad);
    if (bad)
        return wrong(p, "choices[0].delta", bad, "an object");
    if (!m) {
        which = "message";
        m = member(ch, "message", JSON_OBJECT, &bad);
        if (bad)
            return wrong(p, "choices[0].message", bad, "an object");
        out->whole = m != NULL;
    }
    if (!m)
        return 0;
    char path[64];
    *content = member(m, "content", JSON_STRING, &bad);
    if (bad) {
        snprintf(path, sizeof path, "choices[0].%s.content", which);
        return wrong(p, path, bad, "a string or null");
    }
    static const char *const reasoning_keys[] = {"reasoning", "reasoning_content"};
    for (size_t i = 0; i < 2 && !*reasoning; i++) {
        *reasoning = member(m, reasoning_keys[i], JSON_STRING, &bad);
        if (bad) {
            snprintf(path, sizeof path, "choices[0].%s.%s", which, reasoning_keys[i]);
            return wrong(p, path, bad, "a string or null");
        }
    }
    return 0;
}

static int parse_object(const pctx *p, const json_t *obj, tdm_openai_chunk *out)
{
    const json_t *bad = NULL;
    if (parse_error(p, obj, out) != 0)
        return -1;
    const json_t *model = member(obj, "model", JSON_STRING, &bad);
    if (bad)
        return wrong(p, "model", bad, "a string");
    if (model)
        tdm_json_copy_label(out->model, sizeof out->model, model);
    const json_t *content = NULL, *reasoning = NULL;
    if (parse_choice(p, obj, out, &content, &reasoning) != 0 || parse_counters(p, obj, out) != 0)
        return -1;
    out->content = content ? tdm_json_dup_bytes(json_string_value(content), json_string_length(content)) : tdm_json_dup_bytes("", 0);
    out->content_len = content ? json_string_length(content) : 0;
    out->reasoning =
        reasoning ? tdm_json_dup_bytes(json_string_value(reasoning), json_string_length(reasoning)) : tdm_json_dup_bytes("", 0);
    out->reasoning_len = reasoning ? json_string_length(reasoning) : 0;
    if (!out->content || !out->reasoning)
        return tdm_json_fail("event", p->data, p->len, p->err, p->errlen, "out of memory copying the response text");
    return 0;
}

int tdm_openai_parse_tree(const char *data, size_t len, tdm_openai_chunk *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    tdm_server_counters_init(&out->counters);
    if (err && errlen > 0)
        err[0] = '\0';
    if (!data) {
        data = "";
        len = 0;
    }
    pctx p = {data, len, err, errlen};
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        char why[sizeof jerr.text + 4];
        tdm_utf8_excerpt(jerr.text, strnlen(jerr.text, sizeof jerr.text), sizeof jerr.text, false, why);
        return tdm_json_fail("event", data, len, err, errlen, "not valid JSON (at byte %d: %s)", jerr.position, why);
    }
    int rc = json_is_object(root) ? parse_object(&p, root, out)
                                  : tdm_json_fail("event", data, len, err, errlen, "expected a JSON object, got %s", tdm_json_type_name(root));
    json_decref(root);
    if (rc != 0)
        tdm_openai_chunk_clear(out);
    return rc;
}

int tdm_openai_parse(const char *data, size_t len, tdm_openai_chunk *out, char *err, size_t errlen)
{
    if (tdm_openai_parse_fast(data, len, out)) {
        if (err && errlen > 0)
            err[0] = '\0';
        return 0;
    }
    return tdm_openai_parse_tree(data, len, out, err, errlen);
}
