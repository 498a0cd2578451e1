/* openai_request.c — a /v1/chat/completions body read as Ollama 0.11.4's ChatMiddleware
 * reads it (see openai.h): gin's ShouldBindJSON into openai.ChatCompletionRequest (Go's
 * decoder: the first type mismatch in document order, reported after the whole body),
 * the middleware's own checks, fromChatRequest's message checks, then the chat handler's
 * model name check. */
#include "sim/openai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/reqjson.h"

/* Go's literal of a number that is not an int: "number 2.5". Go quotes the literal as
 * sent; this rebuilds the shortest form of its value, so 2.0 reads "number 2" here. */
static void number_kind(const json_t *v, char *out, size_t outlen)
{
    double x = json_number_value(v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, outlen, "number %.*g", prec, x);
        if (strtod(out + 7, NULL) == x)
            return;
    }
}

/* max_tokens, seed: *int. */
static void int_field(tdm_sim_decode *d, json_t *v, const char *field, bool *has, int64_t *out)
{
    if (json_is_null(v))
        return;
    if (json_is_integer(v)) {
        *has = true;
        *out = json_integer_value(v);
        return;
    }
    char kind[48];
    if (json_is_real(v))
        number_kind(v, kind, sizeof kind);
    else
        snprintf(kind, sizeof kind, "%s", tdm_sim_json_kind(v));
    tdm_sim_decode_mismatch(d, kind, field, "int");
}

/* A field that must be an object (or null) of the named Go type. */
static bool object_field(tdm_sim_decode *d, json_t *v, const char *field, const char *type)
{
    if (json_is_null(v))
        return false;
    if (!json_is_object(v)) {
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), field, type);
        return false;
    }
    return true;
}

/* The type checks of one openai.Message, in its keys' order. */
static void message_types(tdm_sim_decode *d, json_t *m)
{
    static const char *const STRINGS[] = {"role", "reasoning", "name", "tool_call_id"};
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v) {
        char field[64];
        for (size_t i = 0; i < sizeof STRINGS / sizeof STRINGS[0]; i++)
            if (!strcasecmp(key, STRINGS[i])) {
                size_t ignored;
                snprintf(field, sizeof field, "Message.messages.%s", STRINGS[i]);
                tdm_sim_decode_str(d, v, field, &ignored);
            }
        if (!strcasecmp(key, "tool_calls") && !json_is_null(v) && !json_is_array(v))
            tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), "Message.messages.tool_calls",
                                    "[]openai.ToolCall");
    }
}

static void messages_types(tdm_sim_decode *d, json_t *v)
{
    if (json_is_null(v))
        return;
    if (!json_is_array(v)) {
        tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), "ChatCompletionRequest.messages",
                                "[]openai.Message");
        return;
    }
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
        if (json_is_object(m))
            message_types(d, m);
        else if (!json_is_null(m))
            tdm_sim_decode_mismatch(d, tdm_sim_json_kind(m), "ChatCompletionRequest.messages",
                                    "openai.Message");
    }
}

/* Decodes the top-level fields in document order, as Go does. */
static void decode_fields(tdm_sim_decode *d, json_t *root, tdm_sim_genreq *r, json_t **msgs,
                          const char **model, size_t *mlen)
{
    static const char *const FLOATS[] = {"temperature", "frequency_penalty", "presence_penalty",
                                         "top_p"};
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        char field[96];
        if (!strcasecmp(key, "model")) {
            *model = tdm_sim_decode_str(d, v, "ChatCompletionRequest.model", mlen);
        } else if (!strcasecmp(key, "messages")) {
            messages_types(d, v);
            *msgs = json_is_array(v) ? v : NULL;
        } else if (!strcasecmp(key, "stream")) {
            tdm_sim_decode_bool(d, v, "ChatCompletionRequest.stream", &r->stream);
        } else if (!strcasecmp(key, "stream_options")) {
            r->include_usage = false;
            if (object_field(d, v, "ChatCompletionRequest.stream_options", "openai.StreamOptions"))
                tdm_sim_decode_bool(d, tdm_sim_json_get(v, "include_usage"),
                                    "StreamOptions.stream_options.include_usage",
                                    &r->include_usage);
        } else if (!strcasecmp(key, "max_tokens")) {
            bool has = false;
            int64_t n = 0;
            int_field(d, v, "ChatCompletionRequest.max_tokens", &has, &n);
            if (has) /* num_predict: 0 and negative values mean no limit */
                r->num_predict = n > 0 ? n : 0;
        } else if (!strcasecmp(key, "seed")) {
            int_field(d, v, "ChatCompletionRequest.seed", &r->has_seed, &r->seed);
        } else if (!strcasecmp(key, "response_format")) {
            object_field(d, v, "ChatCompletionRequest.response_format", "openai.ResponseFormat");
        } else if (!strcasecmp(key, "reasoning")) {
            object_field(d, v, "ChatCompletionRequest.reasoning", "openai.Reasoning");
        } else if (!strcasecmp(key, "tools")) {
            if (!json_is_null(v) && !json_is_array(v))
                tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), "ChatCompletionRequest.tools",
                                        "[]api.Tool");
        } else {
            for (size_t i = 0; i < sizeof FLOATS / sizeof FLOATS[0]; i++)
                if (!strcasecmp(key, FLOATS[i]) && !json_is_null(v) && !json_is_number(v)) {
                    snprintf(field, sizeof field, "ChatCompletionRequest.%s", FLOATS[i]);
                    tdm_sim_decode_mismatch(d, tdm_sim_json_kind(v), field, "float64");
                }
        }
        /* stop is `any`; other keys are ignored, as Go ignores unknown fields. */
    }
}

/* One content part of an array content ({"type":"text","text":...} or an image). */
static int content_part(json_t *part, const char *role, size_t rl, tdm_sim_genreq *r,
                        char *err, size_t errlen)
{
    json_t *type = json_is_object(part) ? json_object_get(part, "type") : NULL;
    const char *t = json_is_string(type) ? json_string_value(type) : "";
    if (!strcmp(t, "text")) {
        json_t *text = json_object_get(part, "text");
        if (!json_is_string(text)) {
            snprintf(err, errlen, "invalid message format");
            return -1;
        }
        tdm_sim_genreq_add_message(r, role, rl, json_string_value(text), json_string_length(text));
        return 0;
    }
    if (!strcmp(t, "image_url")) {
        /* An image is a message without text (its base64 is not checked here). */
        json_t *u = json_object_get(part, "image_url");
        if (json_is_object(u))
            u = json_object_get(u, "url");
        if (!json_is_string(u)) {
            snprintf(err, errlen, "invalid message format");
            return -1;
        }
        static const char *const PREFIXES[] = {"data:image/jpeg;base64,", "data:image/jpg;base64,",
                                               "data:image/png;base64,", "data:image/webp;base64,"};
        for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++)
            if (!strncmp(json_string_value(u), PREFIXES[i], strlen(PREFIXES[i]))) {
                tdm_sim_genreq_add_message(r, role, rl, "", 0);
                return 0;
            }
        snprintf(err, errlen, "invalid image input");
        return -1;
    }
    snprintf(err, errlen, "invalid message format");
    return -1;
}

/* fromChatRequest: each message becomes chat messages, or the request is refused. */
static int messages(json_t *msgs, tdm_sim_genreq *r, char *err, size_t errlen)
{
    size_t i;
    json_t *m;
    r->prompt_hash = TDM_SIM_CHAT_HASH0;
    json_array_foreach(msgs, i, m) {
        json_t *role = json_is_object(m) ? tdm_sim_json_get(m, "role") : NULL;
        json_t *content = json_is_object(m) ? tdm_sim_json_get(m, "content") : NULL;
        json_t *calls = json_is_object(m) ? tdm_sim_json_get(m, "tool_calls") : NULL;
        const char *rs = json_is_string(role) ? json_string_value(role) : "";
        size_t rl = json_is_string(role) ? json_string_length(role) : 0;
        if (json_is_string(content)) {
            tdm_sim_genreq_add_message(r, rs, rl, json_string_value(content),
                                       json_string_length(content));
        } else if (json_is_array(content)) {
            size_t j;
            json_t *part;
            json_array_foreach(content, j, part) {
                if (content_part(part, rs, rl, r, err, errlen) != 0)
                    return -1;
            }
        } else if (calls && !json_is_null(calls)) {
            tdm_sim_genreq_add_message(r, rs, rl, "", 0); /* tool calls without content */
        } else {
            snprintf(err, errlen, "invalid message content type: %s",
                     tdm_sim_json_any_type(content ? content : json_null()));
            return -1;
        }
    }
    return 0;
}

int tdm_sim_oai_parse(const char *body, size_t len, tdm_sim_genreq *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->api = TDM_SIM_API_OPENAI;
    out->chat = true;
    out->stream = false; /* ChatCompletionRequest.Stream is a plain bool */
    json_t *root = tdm_sim_json_body(body, len, "openai.ChatCompletionRequest", "EOF", err, errlen);
    if (!root)
        return TDM_SIM_OAI_MIDDLEWARE_ERROR;
    tdm_sim_decode d = {.err = err, .errlen = errlen};
    json_t *msgs = NULL;
    const char *model = "";
    size_t mlen = 0;
    int rc = TDM_SIM_OAI_MIDDLEWARE_ERROR;
    decode_fields(&d, root, out, &msgs, &model, &mlen);
    if (d.mismatch)
        goto done;
    if (!msgs || json_array_size(msgs) == 0) {
        snprintf(err, errlen, "[] is too short - 'messages'");
        goto done;
    }
    if (messages(msgs, out, err, errlen) != 0)
        goto done;
    rc = TDM_SIM_OAI_HANDLER_ERROR;
    if (mlen == 0 || memchr(model, '\0', mlen) || !tdm_sim_model_name_valid(model)) {
        snprintf(err, errlen, "model is required");
        goto done;
    }
    out->model = strdup(model);
    if (!out->model) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = TDM_SIM_OAI_OK;
done:
    json_decref(root);
    if (rc != TDM_SIM_OAI_OK)
        tdm_sim_genreq_free(out);
    return rc;
}
