/* request.c — generate/chat/show request bodies (see request.h). */
#include "sim/request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/reqjson.h"
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

/* The string field `key` of obj (see tdm_sim_decode_str). */
static const char *str_at(tdm_sim_decode *d, json_t *obj, const char *key, const char *field,
                          size_t *n)
{
    return tdm_sim_decode_str(d, tdm_sim_json_get(obj, key), field, n);
}

/* api.Duration's UnmarshalJSON: seconds as a number, or a Go duration string. */
static void keep_alive_field(tdm_sim_decode *d, json_t *v, tdm_sim_genreq *r)
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
    snprintf(d->err, d->errlen, "Unsupported type: '%s'", tdm_sim_json_any_type(v));
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
static void options_field(tdm_sim_decode *d, json_t *o, tdm_sim_genreq *r, const char *go_struct)
{
    if (!o || json_is_null(o))
        return;
    if (!json_is_object(o)) {
        char field[64];
        snprintf(field, sizeof field, "%s.options", go_struct);
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(o), field, "map[string]interface {}");
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

static int parse_generate(json_t *root, tdm_sim_genreq *r, tdm_sim_decode *d)
{
    const char *prompt, *system;
    size_t plen, slen, ignored;
    prompt = str_at(d, root, "prompt", "GenerateRequest.prompt", &plen);
    system = str_at(d, root, "system", "GenerateRequest.system", &slen);
    str_at(d, root, "suffix", "GenerateRequest.suffix", &ignored);
    str_at(d, root, "template", "GenerateRequest.template", &ignored);
    bool raw = false;
    tdm_sim_decode_bool(d, tdm_sim_json_get(root, "raw"), "GenerateRequest.raw", &raw);
    json_t *ctx = tdm_sim_json_get(root, "context");
    size_t nctx = 0;
    if (ctx && !json_is_null(ctx)) {
        if (!json_is_array(ctx)) {
            tdm_sim_decode_mismatch(d, tdm_sim_json_kind(ctx), "GenerateRequest.context", "[]int");
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
            tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), "GenerateRequest.context", "int");
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

static int parse_chat(json_t *root, tdm_sim_genreq *r, tdm_sim_decode *d)
{
    json_t *msgs = tdm_sim_json_get(root, "messages");
    if (msgs && !json_is_null(msgs) && !json_is_array(msgs)) {
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(msgs), "ChatRequest.messages",
                                "[]api.Message");
        msgs = NULL;
    }
    size_t n = json_is_array(msgs) ? json_array_size(msgs) : 0;
    r->empty = n == 0;
    r->prompt_hash = TDM_SIM_CHAT_HASH0;
    for (size_t i = 0; i < n && !d->fatal; i++) {
        json_t *m = json_array_get(msgs, i);
        if (json_is_null(m))
            continue;
        /* api.Message has its own UnmarshalJSON (through a type named Alias): an error
         * inside a message ends the decoding at once. */
        if (!json_is_object(m)) {
            snprintf(d->err, d->errlen, "json: cannot unmarshal %s into Go struct field "
                     "ChatRequest.messages of type api.Alias", tdm_sim_json_kind(m));
            d->fatal = true;
            break;
        }
        tdm_sim_decode md = {.err = d->err, .errlen = d->errlen};
        const char *role, *content;
        size_t rl, cl, ignored;
        role = str_at(&md, m, "role", "ChatRequest.messages.role", &rl);
        content = str_at(&md, m, "content", "ChatRequest.messages.content", &cl);
        str_at(&md, m, "thinking", "ChatRequest.messages.thinking", &ignored);
        if (md.mismatch) {
            d->fatal = true;
            break;
        }
        tdm_sim_genreq_add_message(r, role, rl, content, cl);
    }
    return 0;
}

void tdm_sim_genreq_add_message(tdm_sim_genreq *r, const char *role, size_t rl,
                                const char *content, size_t cl)
{
    r->prompt_tokens += CHAT_TOKENS_PER_MESSAGE + (int64_t)tdm_sim_tokenize(content, cl, NULL, 0);
    r->prompt_hash = tdm_sim_hash64(content, cl, tdm_sim_hash64(role, rl, r->prompt_hash));
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
    out->api = chat ? TDM_SIM_API_CHAT : TDM_SIM_API_GENERATE;
    out->stream = true;
    json_t *root = tdm_sim_json_body(body, len, chat ? "api.ChatRequest" : "api.GenerateRequest",
                                     "missing request body", err, errlen);
    if (!root)
        return -1;
    tdm_sim_decode d = {.err = err, .errlen = errlen};
    char field[64];
    size_t mlen;
    int rc = -1;
    /* keep_alive's own unmarshaler fails at once; type mismatches wait for the end. */
    keep_alive_field(&d, tdm_sim_json_get(root, "keep_alive"), out);
    snprintf(field, sizeof field, "%s.model", go_type);
    const char *model = str_at(&d, root, "model", field, &mlen);
    snprintf(field, sizeof field, "%s.stream", go_type);
    tdm_sim_decode_bool(&d, tdm_sim_json_get(root, "stream"), field, &out->stream);
    if (!d.fatal && (chat ? parse_chat(root, out, &d) : parse_generate(root, out, &d)) != 0)
        goto done;
    if (d.fatal || d.mismatch)
        goto done;
    options_field(&d, tdm_sim_json_get(root, "options"), out, go_type);
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
    json_t *root = tdm_sim_json_body(body, len, "api.ShowRequest", "missing request body", err,
                                     errlen);
    if (!root)
        return -1;
    tdm_sim_decode d = {.err = err, .errlen = errlen};
    size_t ml, nl;
    int rc = -1;
    const char *m = str_at(&d, root, "model", "ShowRequest.model", &ml);
    const char *name = str_at(&d, root, "name", "ShowRequest.name", &nl);
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
