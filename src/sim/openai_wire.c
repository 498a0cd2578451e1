/* openai_wire.c — the JSON of Ollama's OpenAI-compatible answers (see openai.h): Go's
 * encoding/json over openai.ChatCompletionChunk, ChatCompletion, ErrorResponse and
 * ListCompletion, fields in struct order, strings escaped as Go escapes them. */
#include "sim/openai.h"

#include <stdio.h>
#include <string.h>

#include "sim/wire.h"

/* The fields every chunk and completion starts with, up to "choices":. */
static int head(tdm_buf *b, int id, const char *object, int64_t created, const char *model)
{
    int r = tdm_buf_printf(b, "{\"id\":\"chatcmpl-%d\",\"object\":\"%s\",\"created\":%lld,"
                              "\"model\":", id, object, (long long)created);
    r = r ? r : tdm_sim_json_str(b, model, strlen(model));
    return r ? r : tdm_buf_append_str(b, ",\"system_fingerprint\":\"fp_ollama\",\"choices\":");
}

static int finish_reason(tdm_buf *b, const char *finish)
{
    int r = tdm_buf_append_str(b, ",\"finish_reason\":");
    if (!finish || !*finish)
        return r ? r : tdm_buf_append_str(b, "null");
    return r ? r : tdm_sim_json_str(b, finish, strlen(finish));
}

static int usage(tdm_buf *b, int64_t prompt, int64_t completion)
{
    return tdm_buf_printf(b, "\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
                             "\"total_tokens\":%lld}",
                          (long long)prompt, (long long)completion,
                          (long long)(prompt + completion));
}

int tdm_sim_oai_chunk(tdm_buf *b, int id, int64_t created, const char *model,
                      const char *content, size_t len, const char *finish)
{
    int r = head(b, id, "chat.completion.chunk", created, model);
    r = r ? r : tdm_buf_append_str(b, "[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                                      "\"content\":");
    r = r ? r : tdm_sim_json_str(b, content, len);
    r = r ? r : tdm_buf_append_str(b, "}");
    r = r ? r : finish_reason(b, finish);
    return r ? r : tdm_buf_append_str(b, "}]}");
}

int tdm_sim_oai_usage_chunk(tdm_buf *b, int id, int64_t created, const char *model,
                            int64_t prompt_tokens, int64_t completion_tokens)
{
    int r = head(b, id, "chat.completion.chunk", created, model);
    r = r ? r : tdm_buf_append_str(b, "[],");
    r = r ? r : usage(b, prompt_tokens, completion_tokens);
    return r ? r : tdm_buf_append_str(b, "}");
}

int tdm_sim_oai_completion(tdm_buf *b, int id, int64_t created, const char *model,
                           const char *content, size_t len, const char *finish,
                           int64_t prompt_tokens, int64_t completion_tokens)
{
    int r = head(b, id, "chat.completion", created, model);
    r = r ? r : tdm_buf_append_str(b, "[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                      "\"content\":");
    r = r ? r : tdm_sim_json_str(b, content, len);
    r = r ? r : tdm_buf_append_str(b, "}");
    r = r ? r : finish_reason(b, finish);
    r = r ? r : tdm_buf_append_str(b, "}],");
    r = r ? r : usage(b, prompt_tokens, completion_tokens);
    return r ? r : tdm_buf_append_str(b, "}\n");
}

int tdm_sim_oai_error(tdm_buf *b, const char *type, const char *msg)
{
    int r = tdm_buf_append_str(b, "{\"error\":{\"message\":");
    r = r ? r : tdm_sim_json_str(b, msg, strlen(msg));
    r = r ? r : tdm_buf_printf(b, ",\"type\":\"%s\",\"param\":null,\"code\":null}}", type);
    return r;
}

void tdm_sim_oai_owner(const char *name, char *out, size_t outlen)
{
    /* ParseName cuts the tag (a ':' after the last '/'), then the model, then the
     * namespace, each at the last '/'. */
    size_t n = strlen(name);
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(name, ':');
    if (colon && (!slash || colon > slash))
        n = (size_t)(colon - name);
    size_t end = 0; /* the namespace ends at the last '/' before n */
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '/')
            end = i, found = true;
    size_t start = 0;
    for (size_t i = 0; found && i < end; i++)
        if (name[i] == '/')
            start = i + 1;
    if (!found || end == start) {
        snprintf(out, outlen, "library");
        return;
    }
    snprintf(out, outlen, "%.*s", (int)(end - start), name + start);
}

static int model_object(tdm_buf *b, const char *id)
{
    char owner[128];
    tdm_sim_oai_owner(id, owner, sizeof owner);
    int r = tdm_buf_append_str(b, "{\"id\":");
    r = r ? r : tdm_sim_json_str(b, id, strlen(id));
    r = r ? r : tdm_buf_printf(b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":",
                               TDM_SIM_MODIFIED_UNIX);
    r = r ? r : tdm_sim_json_str(b, owner, strlen(owner));
    return r ? r : tdm_buf_append_str(b, "}");
}

int tdm_sim_oai_models(tdm_buf *b, const tdm_sim_model *models, size_t n)
{
    /* A nil slice when nothing is served: Go writes null, not []. */
    int r = tdm_buf_append_str(b, n ? "{\"object\":\"list\",\"data\":["
                                    : "{\"object\":\"list\",\"data\":null");
    for (size_t i = 0; i < n && !r; i++) {
        r = i ? tdm_buf_append_str(b, ",") : 0;
        r = r ? r : model_object(b, models[i].name);
    }
    return r ? r : tdm_buf_append_str(b, n ? "]}\n" : "}\n");
}

int tdm_sim_oai_model(tdm_buf *b, const char *name)
{
    int r = model_object(b, name);
    return r ? r : tdm_buf_append_str(b, "\n");
}
