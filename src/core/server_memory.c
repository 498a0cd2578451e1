/* server_memory.c — /api/ps snapshots for provenance "server_memory" (see server_memory.h). */
#include "core/server_memory.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/preflight.h"
#include "core/utf8.h"

/* Short: a server that does not answer /api/ps quickly is recorded as such, and the run
 * goes on (the sampler, when there is one, keeps running meanwhile). */
#define PS_TIMEOUT_MS 3000

static json_t *int_or_null(json_t *v)
{
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

json_t *tdm_server_memory_parse(const char *body, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loadb(body, len, 0, &je);
    json_t *list = json_object_get(doc, "models");
    if (!json_is_array(list)) {
        snprintf(err, errlen, doc ? "the answer has no \"models\" list" : "the answer is not JSON (%s)", je.text);
        json_decref(doc);
        return NULL;
    }
    json_t *models = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        json_array_append_new(models, json_pack("{s:s?, s:o, s:o}", "name", name, "size",
                                                int_or_null(json_object_get(m, "size")), "size_vram",
                                                int_or_null(json_object_get(m, "size_vram"))));
    }
    json_decref(doc);
    return models;
}

/* One server's snapshot: its models, or why there are none. */
static json_t *ask(const tdm_runtime_ops *ops, tdm_runtime *rt, const char *base, json_t *entry)
{
    tdm_buf url = {0}, body = {0};
    char err[512] = "";
    long status = 0;
    json_t *models = NULL;
    tdm_buf_printf(&url, "%s/api/ps", base);
    if (ops->fetch(rt, tdm_buf_str(&url), NULL, PS_TIMEOUT_MS, &status, &body, err, sizeof err) != 0) {
        if (!*err)
            snprintf(err, sizeof err, "no answer");
    } else if (status != 200) {
        snprintf(err, sizeof err, "HTTP %ld", status);
    } else {
        models = tdm_server_memory_parse(tdm_buf_str(&body), body.len, err, sizeof err);
    }
    if (models) {
        json_object_set_new(entry, "models", models);
    } else {
        size_t n;
        char *clean = tdm_utf8_sanitize(err, strlen(err), &n);
        tdm_buf msg = {0};
        tdm_buf_printf(&msg, "GET %s: %s", tdm_buf_str(&url), clean ? clean : "out of memory");
        json_object_set_new(entry, "error", json_string(tdm_buf_str(&msg)));
        tdm_buf_free(&msg);
        free(clean);
    }
    tdm_buf_free(&url);
    tdm_buf_free(&body);
    return entry;
}

/* A server only openai agents use may not be Ollama (llama-server, vLLM): not asked, and
 * said why, rather than recorded as an error it is not. */
#define OPENAI_SKIP                                                                                              \
    "not asked: the server is spoken to through the OpenAI API only (api: openai), and /api/ps is Ollama's own"

static bool only_openai(const tdm_scenario *s, const char *base)
{
    bool any = false, other = false;
    for (size_t i = 0; i < s->n_agents; i++) {
        char *b = tdm_server_base_url(s->agents[i].url);
        if (b && strcmp(b, base) == 0) {
            any = true;
            other = other || s->agents[i].api != TDM_API_OPENAI;
        }
        free(b);
    }
    return any && !other;
}

void tdm_server_memory_snapshot(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, int run,
                                tdm_phase phase, bool after, json_t *arr)
{
    /* Each distinct server once, in the order the agents name them. */
    char **seen = calloc(s->n_agents ? s->n_agents : 1, sizeof *seen);
    size_t n_seen = 0;
    for (size_t i = 0; seen && i < s->n_agents; i++) {
        char *base = tdm_server_base_url(s->agents[i].url);
        bool dup = false;
        for (size_t k = 0; base && k < n_seen && !dup; k++)
            dup = strcmp(seen[k], base) == 0;
        if (!base || dup) {
            free(base);
            continue;
        }
        seen[n_seen++] = base;
        json_t *entry = json_pack("{s:i, s:s, s:s, s:s}", "run", run, "phase", tdm_phase_name(phase), "when",
                                  after ? "after" : "before", "url", base);
        if (entry && only_openai(s, base))
            json_object_set_new(entry, "skipped", json_string(OPENAI_SKIP));
        else if (entry)
            entry = ask(ops, rt, base, entry);
        if (entry)
            json_array_append_new(arr, entry);
    }
    for (size_t k = 0; k < n_seen; k++)
        free(seen[k]);
    free(seen);
}
