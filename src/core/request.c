/* request.c — request URL and body construction with jansson (see request.h). */
#include "core/request.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

#define PREVIOUS_MARK "{previous}"

char *tdm_request_url(const tdm_agent *a)
{
    tdm_buf b = {0};
    size_t n = strlen(a->url);
    while (n > 0 && a->url[n - 1] == '/')
        n--;
    tdm_buf_append(&b, a->url, n);
    tdm_buf_append_str(&b, a->api == TDM_API_CHAT ? "/api/chat" : "/api/generate");
    return tdm_buf_steal(&b);
}

char *tdm_request_prompt(const char *prompt, const char *prev)
{
    /* The previous step's text is the server's; it must not make the JSON body invalid. */
    char *fixed = NULL;
    size_t n = 0;
    if (prev && !tdm_utf8_valid(prev, strlen(prev)))
        prev = fixed = tdm_utf8_sanitize(prev, strlen(prev), &n);
    tdm_buf b = {0};
    const char *p = prompt;
    const char *m;
    while ((m = strstr(p, PREVIOUS_MARK)) != NULL) {
        tdm_buf_append(&b, p, (size_t)(m - p));
        tdm_buf_append_str(&b, prev ? prev : "");
        p = m + strlen(PREVIOUS_MARK);
    }
    tdm_buf_append_str(&b, p);
    free(fixed);
    return tdm_buf_steal(&b);
}

/* keep_alive: Ollama takes a duration string ("5m") or a number of seconds. */
static json_t *keep_alive_json(const char *v)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*v && *end == '\0')
        return json_integer(n);
    return json_string(v);
}

static json_t *options_json(const tdm_options *o)
{
    json_t *obj = json_object();
    for (int i = 0; i < TDM_OPT_COUNT; i++) {
        if (!tdm_options_has(o, (tdm_option_id)i))
            continue;
        json_t *v = tdm_option_is_int((tdm_option_id)i) ? json_integer((json_int_t)o->value[i])
                                                         : json_real(o->value[i]);
        json_object_set_new(obj, tdm_option_name((tdm_option_id)i), v);
    }
    return obj;
}

char *tdm_request_body(const tdm_agent *a, const tdm_step *s, const char *prev, const tdm_options *extra)
{
    char *prompt = tdm_request_prompt(s->prompt, prev);
    if (!prompt)
        return NULL;
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(a->model));
    if (a->api == TDM_API_CHAT) {
        json_t *msgs = json_array();
        if (s->system) {
            json_t *sys = json_pack("{s:s, s:s}", "role", "system", "content", s->system);
            json_array_append_new(msgs, sys);
        }
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", prompt));
        json_object_set_new(body, "messages", msgs);
    } else {
        json_object_set_new(body, "prompt", json_string(prompt));
        if (s->system)
            json_object_set_new(body, "system", json_string(s->system));
    }
    json_object_set_new(body, "stream", json_boolean(a->stream));
    tdm_options opts = a->options;
    if (extra)
        tdm_options_merge(&opts, extra);
    if (opts.set)
        json_object_set_new(body, "options", options_json(&opts));
    if (a->keep_alive)
        json_object_set_new(body, "keep_alive", keep_alive_json(a->keep_alive));
    char *out = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    free(prompt);
    return out;
}
