/* request.c — generate/chat/show request bodies (see request.h). */
#include "sim/request.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/gojson.h"
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

/* Go's name for a JSON value's kind in "json: cannot unmarshal <kind> into ...". */
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

/* reflect.TypeOf(v) of what json.Unmarshal(b, &any) gives, as Ollama's Duration names it. */
static const char *go_any_type(const json_t *v)
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

/* Reads a body as json.Decoder does (see gojson.h): the first value only; null is an
 * empty request. Returns a new object, or NULL with Ollama's 400 message in err. */
static json_t *load_object(const char *body, size_t len, const char *go_type, char *err,
                           size_t errlen)
{
    long end = tdm_sim_gojson_scan(body, len, err, errlen);
    if (end == TDM_SIM_GOJSON_EOF) {
        set_err(err, errlen, "%s", "missing request body");
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
                 type_name(root), go_type);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The value Go would decode into the field `name`: the last key matching it exactly or
 * case-insensitively (encoding/json's field matching), or NULL. */
static json_t *jget(json_t *obj, const char *name)
{
    const char *key;
    json_t *v, *found = NULL;
    json_object_foreach(obj, key, v) {
        if (strcasecmp(key, name) == 0)
            found = v;
    }
    return found;
}

/* Decoding state: Go keeps the first type mismatch and reports it after the whole
 * value, unless a custom unmarshaler (keep_alive, a chat message) fails first. */
typedef struct decode {
    char *err;
    size_t errlen;
    bool mismatch;      /* a type error was recorded in err */
    bool fatal;         /* err is final: stop */
} decode;

static void mismatch(decode *d, const char *kind, const char *field, const char *type)
{
    if (d->mismatch || d->fatal)
        return;
    d->mismatch = true;
    snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go struct field %s of type %s",
             kind, field, type);
}

/* A string field: its value, or "" when absent, null or of another type (recorded). */
static const char *str_field(decode *d, json_t *v, const char *field, size_t *n)
{
    *n = 0;
    if (!v || json_is_null(v))
        return "";
    if (!json_is_string(v)) {
        mismatch(d, type_name(v), field, "string");
        return "";
    }
    *n = json_string_length(v);
    return json_string_value(v);
}

static void bool_field(decode *d, json_t *v, const char *field, bool *out)
{
    if (!v || json_is_null(v))
        return;
    if (!json_is_boolean(v)) {
        mismatch(d, type_name(v), field, "bool");
        return;
    }
    *out = json_is_true(v);
}

/* api.Duration's UnmarshalJSON: seconds as a number, or a Go duration string. */
static void keep_alive_field(decode *d, json_t *v, tdm_sim_genreq *r)
{
    if (!v || json_is_null(v) || d->fatal)
        return;
    if (json_is_number(v)) {
        double secs = json_number_value(v);
        r->has_keep_alive = true;
        r->keep_alive_ns = secs < 0 || secs * 1e9 > 9.2e18 ? TDM_SIM_FOREVER : (int64_t)(secs * 1e9);
        return;
    }
    if (json_is_string(v)) {
        int64_t ns;
        if (tdm_sim_parse_duration(json_string_value(v), &ns) != 0) {
            snprintf(d->err, d->errlen, "time: invalid duration \"%.200s\"", json_string_value(v));
            d->fatal = true;
            return;
        }
        r->has_keep_alive = true;
        r->keep_alive_ns = ns < 0 ? TDM_SIM_FOREVER : ns;
        return;
    }
    snprintf(d->err, d->errlen, "Unsupported type: '%s'", go_any_type(v));
    d->fatal = true;
}

/* Ollama's Options, with the Go type each key must have (api.Options.FromMap); keys it
 * does not know are ignored with a warning, as Ollama does. */
static const struct { const char *name; char type; } OPTIONS[] = {
    {"num_ctx", 'i'}, {"num_batch", 'i'}, {"num_gpu", 'i'}, {"main_gpu", 'i'},
    {"use_mmap", 'b'}, {"num_thread", 'i'}, {"num_keep", 'i'}, {"seed", 'i'},
    {"num_predict", 'i'}, {"top_k", 'i'}, {"top_p", 'f'}, {"min_p", 'f'}, {"typical_p", 'f'},
    {"repeat_last_n", 'i'}, {"temperature", 'f'}, {"repeat_penalty", 'f'},
    {"presence_penalty", 'f'}, {"frequency_penalty", 'f'}, {"stop", 'a'},
};

/* Checks options like FromMap; the first wrong type becomes r->opt_error (a 500 once the
 * model is known). num_predict and seed are kept. */
static void options_field(decode *d, json_t *o, tdm_sim_genreq *r, const char *go_struct)
{
    if (!o || json_is_null(o))
        return;
    if (!json_is_object(o)) {
        char field[64];
        snprintf(field, sizeof field, "%s.options", go_struct);
        mismatch(d, type_name(o), field, "map[string]interface {}");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        char type = 0;
        for (size_t i = 0; i < sizeof OPTIONS / sizeof OPTIONS[0]; i++)
            if (!strcmp(OPTIONS[i].name, key))
                type = OPTIONS[i].type;
        if (!type || json_is_null(v))
            continue;
        const char *want = NULL;
        if (type == 'i' && !json_is_number(v))
            want = "must be of type integer";
        else if (type == 'f' && !json_is_number(v))
            want = "must be of type float32";
        else if (type == 'b' && !json_is_boolean(v))
            want = "must be of type boolean";
        else if (type == 'a' && !json_is_array(v))
            want = "must be of type array";
        else if (type == 'a') {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_string(e))
                    want = "must be of an array of strings";
            }
        }
        if (want) {
            if (!r->opt_error) {
                char msg[160];
                snprintf(msg, sizeof msg, "option \"%.64s\" %s", key, want);
                r->opt_error = strdup(msg);
            }
            continue;
        }
        if (type != 'i')
            continue;
        double x = json_number_value(v);
        int64_t n = x >= 9.2e18 ? INT64_MAX : x <= -9.2e18 ? INT64_MIN : (int64_t)x;
        if (!strcmp(key, "num_predict"))
            r->num_predict = n > 0 ? n : 0; /* -1, -2 (and 0): until the model stops */
        else if (!strcmp(key, "seed"))
            r->has_seed = true, r->seed = n;
    }
}

static int append_ids(tdm_sim_genreq *r, const char *s, size_t n)
{
    size_t cap = TDM_SIM_MAX_CONTEXT_IDS - r->n_ids;
    size_t count = tdm_sim_tokenize(s, n, r->ids + r->n_ids, cap);
    r->n_ids += count < cap ? count : cap;
    r->prompt_tokens += (int64_t)count;
    return 0;
}

static int parse_generate(json_t *root, tdm_sim_genreq *r, decode *d)
{
    const char *prompt, *system;
    size_t plen, slen, ignored;
    prompt = str_field(d, jget(root, "prompt"), "GenerateRequest.prompt", &plen);
    system = str_field(d, jget(root, "system"), "GenerateRequest.system", &slen);
    str_field(d, jget(root, "suffix"), "GenerateRequest.suffix", &ignored);
    str_field(d, jget(root, "template"), "GenerateRequest.template", &ignored);
    bool raw = false;
    bool_field(d, jget(root, "raw"), "GenerateRequest.raw", &raw);
    json_t *ctx = jget(root, "context");
    size_t nctx = 0;
    if (ctx && !json_is_null(ctx)) {
        if (!json_is_array(ctx)) {
            mismatch(d, type_name(ctx), "GenerateRequest.context", "[]int");
            ctx = NULL;
        } else {
            nctx = json_array_size(ctx);
        }
    }
    r->empty = plen == 0;
    r->ids = malloc(TDM_SIM_MAX_CONTEXT_IDS * sizeof *r->ids);
    if (!r->ids) {
        set_err(d->err, d->errlen, "%s", "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nctx; i++) {
        json_t *v = json_array_get(ctx, i);
        if (!json_is_integer(v)) {
            mismatch(d, type_name(v), "GenerateRequest.context", "int");
            continue;
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

static int parse_chat(json_t *root, tdm_sim_genreq *r, decode *d)
{
    json_t *msgs = jget(root, "messages");
    if (msgs && !json_is_null(msgs) && !json_is_array(msgs)) {
        mismatch(d, type_name(msgs), "ChatRequest.messages", "[]api.Message");
        msgs = NULL;
    }
    size_t n = json_is_array(msgs) ? json_array_size(msgs) : 0;
    r->empty = n == 0;
    uint64_t h = 2;
    for (size_t i = 0; i < n && !d->fatal; i++) {
        json_t *m = json_array_get(msgs, i);
        if (json_is_null(m))
            continue;
        /* api.Message has its own UnmarshalJSON (through a type named Alias): an error
         * inside a message ends the decoding at once. */
        if (!json_is_object(m)) {
            snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go struct field "
                     "ChatRequest.messages of type api.Alias", type_name(m));
            d->fatal = true;
            break;
        }
        decode md = {.err = d->err, .errlen = d->errlen};
        const char *role, *content;
        size_t rl, cl, ignored;
        role = str_field(&md, jget(m, "role"), "ChatRequest.messages.role", &rl);
        content = str_field(&md, jget(m, "content"), "ChatRequest.messages.content", &cl);
        str_field(&md, jget(m, "thinking"), "ChatRequest.messages.thinking", &ignored);
        if (md.mismatch) {
            d->fatal = true;
            break;
        }
        r->prompt_tokens += CHAT_TOKENS_PER_MESSAGE + (int64_t)tdm_sim_tokenize(content, cl, NULL, 0);
        h = tdm_sim_hash64(content, cl, tdm_sim_hash64(role, rl, h));
    }
    r->prompt_hash = h;
    return 0;
}

bool tdm_sim_model_name_valid(const char *name)
{
    /* model.ParseName's parts are letters, digits, '_', '-' and '.', joined by '/' and
     * a ':' before the tag; this is the character test, enough to tell a name from junk. */
    if (!*name || strlen(name) > 350)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':' || c == '/'))
            return false;
    }
    return true;
}

int tdm_sim_genreq_parse(const char *body, size_t len, bool chat, tdm_sim_genreq *out,
                         char *err, size_t errlen)
{
    const char *go_type = chat ? "ChatRequest" : "GenerateRequest";
    memset(out, 0, sizeof *out);
    out->chat = chat;
    out->stream = true;
    json_t *root = load_object(body, len, chat ? "api.ChatRequest" : "api.GenerateRequest",
                               err, errlen);
    if (!root)
        return -1;
    decode d = {.err = err, .errlen = errlen};
    char field[64];
    size_t mlen;
    int rc = -1;
    /* keep_alive's own unmarshaler fails at once; type mismatches wait for the end. */
    keep_alive_field(&d, jget(root, "keep_alive"), out);
    snprintf(field, sizeof field, "%s.model", go_type);
    const char *model = str_field(&d, jget(root, "model"), field, &mlen);
    snprintf(field, sizeof field, "%s.stream", go_type);
    bool_field(&d, jget(root, "stream"), field, &out->stream);
    if (!d.fatal && (chat ? parse_chat(root, out, &d) : parse_generate(root, out, &d)) != 0)
        goto done;
    if (d.fatal || d.mismatch)
        goto done;
    options_field(&d, jget(root, "options"), out, go_type);
    if (d.mismatch)
        goto done;
    if (chat && (mlen == 0 || memchr(model, '\0', mlen) || !tdm_sim_model_name_valid(model))) {
        set_err(err, errlen, "%s", "model is required");
        goto done;
    }
    out->model = malloc(mlen + 1);
    if (!out->model) {
        set_err(err, errlen, "%s", "out of memory");
        goto done;
    }
    memcpy(out->model, model, mlen + 1);
    rc = 0;
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
    free(r->opt_error);
    r->model = NULL;
    r->ids = NULL;
    r->opt_error = NULL;
    r->n_ids = 0;
}

int tdm_sim_showreq_parse(const char *body, size_t len, char **model, char *err, size_t errlen)
{
    *model = NULL;
    json_t *root = load_object(body, len, "api.ShowRequest", err, errlen);
    if (!root)
        return -1;
    decode d = {.err = err, .errlen = errlen};
    size_t ml, nl;
    int rc = -1;
    const char *m = str_field(&d, jget(root, "model"), "ShowRequest.model", &ml);
    const char *name = str_field(&d, jget(root, "name"), "ShowRequest.name", &nl);
    if (d.mismatch)
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
