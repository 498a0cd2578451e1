/* request.c — generate/chat/show request bodies (see request.h). */
#include "sim/request.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/tokens.h"

/* Tokens a chat template adds around each message (role markers, turn delimiters). */
#define CHAT_TOKENS_PER_MESSAGE 4

int tdm_sim_parse_duration(const char *s, int64_t *ns)
{
    static const struct { const char *name; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*p == '\0')
        return -1;
    double total = 0;
    while (*p) {
        const char *q = p;
        double v = 0, scale = 1;
        bool digits = false;
        while (*q >= '0' && *q <= '9')
            v = v * 10 + (*q++ - '0'), digits = true;
        if (*q == '.') {
            q++;
            while (*q >= '0' && *q <= '9')
                scale /= 10, v += (*q++ - '0') * scale, digits = true;
        }
        if (!digits)
            return -1;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].name);
            /* Longest match, so "ms" is not read as "m" followed by junk. */
            if (n > best && strncmp(q, units[i].name, n) == 0)
                best = n, mult = units[i].ns;
        }
        if (best == 0)
            return -1;
        total += v * mult;
        p = q + best;
    }
    if (total > 9.2e18)
        return -1; /* Go: "invalid duration" on overflow */
    *ns = (int64_t)llround(neg ? -total : total);
    return 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a)
{
    snprintf(err, errlen, fmt, a);
}

static const char *type_name(const json_t *v)
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

/* Loads a body as a JSON object, with Ollama's messages for what it refuses. */
static json_t *load_object(const char *body, size_t len, const char *go_type, char *err,
                           size_t errlen)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len) {
        set_err(err, errlen, "%s", "missing request body");
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!root) {
        snprintf(err, errlen, "invalid JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s",
                 type_name(root), go_type);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A field that must be a string when present (and not null). */
static int get_string(json_t *root, const char *key, const char *go_type, const char **s,
                      size_t *n, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);
    *s = "";
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field %s.%s of type string",
                 type_name(v), go_type, key);
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 0;
}

static int get_keep_alive(json_t *root, tdm_sim_genreq *r, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, "keep_alive");
    if (!v || json_is_null(v))
        return 0;
    r->has_keep_alive = true;
    if (json_is_number(v)) {
        double secs = json_number_value(v);
        if (secs < 0 || secs * 1e9 > 9.2e18)
            r->keep_alive_ns = TDM_SIM_FOREVER;
        else
            r->keep_alive_ns = (int64_t)(secs * 1e9);
        return 0;
    }
    if (json_is_string(v)) {
        int64_t ns;
        if (tdm_sim_parse_duration(json_string_value(v), &ns) != 0) {
            snprintf(err, errlen, "time: invalid duration \"%.200s\"", json_string_value(v));
            return -1;
        }
        r->keep_alive_ns = ns < 0 ? TDM_SIM_FOREVER : ns;
        return 0;
    }
    snprintf(err, errlen, "Unsupported type: '%s'", type_name(v));
    return -1;
}

static int get_options(json_t *root, tdm_sim_genreq *r, char *err, size_t errlen)
{
    json_t *o = json_object_get(root, "options");
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field .options of type map[string]interface {}",
                 type_name(o));
        return -1;
    }
    static const char *const int_opts[] = {"num_predict", "seed"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(o, int_opts[i]);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_number(v)) {
            snprintf(err, errlen, "option \"%s\" must be of type integer", int_opts[i]);
            return -1;
        }
        double d = json_number_value(v);
        int64_t x = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
        if (i == 0)
            r->num_predict = x > 0 ? x : 0; /* -1 / -2 mean "until the model stops" */
        else
            r->has_seed = true, r->seed = x;
    }
    return 0;
}

static int get_stream(json_t *root, tdm_sim_genreq *r, const char *go_type, char *err,
                      size_t errlen)
{
    json_t *v = json_object_get(root, "stream");
    r->stream = true;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field %s.stream of type bool",
                 type_name(v), go_type);
        return -1;
    }
    r->stream = json_is_true(v);
    return 0;
}

static int append_ids(tdm_sim_genreq *r, const char *s, size_t n)
{
    size_t cap = TDM_SIM_MAX_CONTEXT_IDS - r->n_ids;
    size_t count = tdm_sim_tokenize(s, n, r->ids + r->n_ids, cap);
    r->n_ids += count < cap ? count : cap;
    r->prompt_tokens += (int64_t)count;
    return 0;
}

static int parse_generate(json_t *root, tdm_sim_genreq *r, char *err, size_t errlen)
{
    const char *prompt, *system;
    size_t plen, slen;
    if (get_string(root, "prompt", "GenerateRequest", &prompt, &plen, err, errlen) ||
        get_string(root, "system", "GenerateRequest", &system, &slen, err, errlen))
        return -1;
    json_t *ctx = json_object_get(root, "context");
    if (ctx && !json_is_null(ctx) && !json_is_array(ctx)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field GenerateRequest.context of type []int",
                 type_name(ctx));
        return -1;
    }
    r->empty = plen == 0;
    r->ids = malloc(TDM_SIM_MAX_CONTEXT_IDS * sizeof *r->ids);
    if (!r->ids) {
        set_err(err, errlen, "%s", "out of memory");
        return -1;
    }
    size_t nctx = json_is_array(ctx) ? json_array_size(ctx) : 0;
    for (size_t i = 0; i < nctx; i++) {
        json_t *v = json_array_get(ctx, i);
        if (!json_is_integer(v)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field GenerateRequest.context of type int",
                     type_name(v));
            return -1;
        }
        if (r->n_ids < TDM_SIM_MAX_CONTEXT_IDS)
            r->ids[r->n_ids++] = (int32_t)json_integer_value(v);
    }
    /* A request's context is its conversation so far: Ollama evaluates it again. */
    r->prompt_tokens = (int64_t)nctx;
    append_ids(r, system, slen);
    append_ids(r, prompt, plen);
    r->prompt_hash = tdm_sim_hash64(prompt, plen, tdm_sim_hash64(system, slen, 1));
    return 0;
}

static int parse_chat(json_t *root, tdm_sim_genreq *r, char *err, size_t errlen)
{
    json_t *msgs = json_object_get(root, "messages");
    if (msgs && !json_is_null(msgs) && !json_is_array(msgs)) {
        snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field ChatRequest.messages of type []api.Message",
                 type_name(msgs));
        return -1;
    }
    size_t n = json_is_array(msgs) ? json_array_size(msgs) : 0;
    r->empty = n == 0;
    uint64_t h = 2;
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(msgs, i);
        if (!json_is_object(m)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field ChatRequest.messages of type api.Message",
                     type_name(m));
            return -1;
        }
        const char *role, *content;
        size_t rl, cl;
        if (get_string(m, "role", "Message", &role, &rl, err, errlen) ||
            get_string(m, "content", "Message", &content, &cl, err, errlen))
            return -1;
        r->prompt_tokens += CHAT_TOKENS_PER_MESSAGE + (int64_t)tdm_sim_tokenize(content, cl, NULL, 0);
        h = tdm_sim_hash64(content, cl, tdm_sim_hash64(role, rl, h));
    }
    r->prompt_hash = h;
    return 0;
}

int tdm_sim_genreq_parse(const char *body, size_t len, bool chat, tdm_sim_genreq *out,
                         char *err, size_t errlen)
{
    const char *go_type = chat ? "ChatRequest" : "GenerateRequest";
    memset(out, 0, sizeof *out);
    out->chat = chat;
    json_t *root = load_object(body, len, chat ? "api.ChatRequest" : "api.GenerateRequest",
                               err, errlen);
    if (!root)
        return -1;
    const char *model;
    size_t mlen;
    int rc = -1;
    if (get_string(root, "model", go_type, &model, &mlen, err, errlen) ||
        get_stream(root, out, go_type, err, errlen) ||
        get_keep_alive(root, out, err, errlen) || get_options(root, out, err, errlen))
        goto done;
    if (mlen == 0) {
        set_err(err, errlen, "%s", "model is required");
        goto done;
    }
    if (memchr(model, '\0', mlen)) {
        set_err(err, errlen, "%s", "invalid model name");
        goto done;
    }
    out->model = strdup(model);
    if (!out->model) {
        set_err(err, errlen, "%s", "out of memory");
        goto done;
    }
    rc = chat ? parse_chat(root, out, err, errlen) : parse_generate(root, out, err, errlen);
done:
    json_decref(root);
    if (rc != 0)
        tdm_sim_genreq_free(out);
    return rc;
}

void tdm_sim_genreq_free(tdm_sim_genreq *r)
{
    free(r->model);
    free(r->ids);
    r->model = NULL;
    r->ids = NULL;
    r->n_ids = 0;
}

int tdm_sim_showreq_parse(const char *body, size_t len, char **model, char *err, size_t errlen)
{
    *model = NULL;
    json_t *root = load_object(body, len, "api.ShowRequest", err, errlen);
    if (!root)
        return -1;
    const char *m, *name;
    size_t ml, nl;
    int rc = -1;
    if (get_string(root, "model", "ShowRequest", &m, &ml, err, errlen) ||
        get_string(root, "name", "ShowRequest", &name, &nl, err, errlen))
        goto done;
    if (ml == 0)
        m = name, ml = nl;
    if (ml == 0 || memchr(m, '\0', ml)) {
        set_err(err, errlen, "%s", "model is required");
        goto done;
    }
    *model = strdup(m);
    rc = *model ? 0 : -1;
    if (rc)
        set_err(err, errlen, "%s", "out of memory");
done:
    json_decref(root);
    return rc;
}
