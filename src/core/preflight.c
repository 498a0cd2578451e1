/* preflight.c — server reachability, version and model checks (see preflight.h). */
#include "core/preflight.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define PREFLIGHT_TIMEOUT_MS 5000

char *tdm_server_base_url(const char *url)
{
    tdm_buf b = {0};
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    tdm_buf_append(&b, url, n);
    return tdm_buf_steal(&b);
}

/* Names a server in preflight's problems: who cannot be reached, what it should be, and
 * how to start one. */
typedef struct server_kind {
    const char *who, *what, *start;
} server_kind;

static const server_kind OLLAMA = {"Ollama", "an Ollama server", "'ollama serve', or 'just sim' for the simulator"};
static const server_kind OPENAI = {"the OpenAI-compatible server", "an OpenAI-compatible server (api: openai)",
                                   "'ollama serve', 'llama-server' or 'vllm serve', or 'just sim' for the simulator"};

/* GETs base+path and parses JSON; NULL with a problem appended to probs. */
static json_t *get_json(const tdm_runtime_ops *ops, tdm_runtime *rt, const char *base, const char *path,
                        const server_kind *kind, tdm_buf *probs)
{
    tdm_buf url = {0}, body = {0};
    char err[512] = "";
    long status = 0;
    json_t *doc = NULL;
    tdm_buf_printf(&url, "%s%s", base, path);
    if (ops->fetch(rt, tdm_buf_str(&url), NULL, PREFLIGHT_TIMEOUT_MS, &status, &body, err, sizeof err) != 0) {
        tdm_buf_printf(probs, "  - cannot reach %s at %s (%s). Start it there (%s) or fix the agent's url.\n",
                       kind->who, base, err, kind->start);
    } else if (status != 200) {
        tdm_buf_printf(probs, "  - %s answered HTTP %ld; is this %s?\n", tdm_buf_str(&url), status, kind->what);
    } else {
        json_error_t je;
        doc = json_loadb(tdm_buf_str(&body), body.len, 0, &je);
        if (!doc)
            tdm_buf_printf(probs, "  - %s did not answer JSON (%s); is this %s?\n", tdm_buf_str(&url), je.text,
                           kind->what);
    }
    tdm_buf_free(&url);
    tdm_buf_free(&body);
    return doc;
}

/* Ollama lets "gemma3" mean "gemma3:latest". */
static bool same_model(const char *want, const char *have)
{
    if (strcmp(want, have) == 0)
        return true;
    size_t n = strlen(want);
    return !strchr(want, ':') && strncmp(want, have, n) == 0 && strcmp(have + n, ":latest") == 0;
}

/* Why an OpenAI-only server has no version or digests in provenance: not a failure. */
#define OPENAI_NOTE                                                                                             \
    "spoken to through the OpenAI API only (api: openai): its model list comes from GET /v1/models; "          \
    "/api/version and /api/tags are Ollama's own, so no server version or model digest is recorded"

/* Ollama's own probes: the version and the models with their digests into entry. */
static bool probe_ollama(const tdm_runtime_ops *ops, tdm_runtime *rt, const char *base, json_t *entry,
                         tdm_buf *probs)
{
    json_t *ver = get_json(ops, rt, base, "/api/version", &OLLAMA, probs);
    json_t *tags = ver ? get_json(ops, rt, base, "/api/tags", &OLLAMA, probs) : NULL;
    json_t *models = json_object_get(entry, "models");
    size_t k;
    json_t *m;
    json_array_foreach(json_object_get(tags, "models"), k, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *digest = json_string_value(json_object_get(m, "digest"));
        if (name)
            json_object_set_new(models, name, json_string(digest ? digest : ""));
    }
    const char *version = json_string_value(json_object_get(ver, "version"));
    if (version)
        json_object_set_new(entry, "version", json_string(version));
    bool ok = ver != NULL && tags != NULL;
    json_decref(ver);
    json_decref(tags);
    return ok;
}

/* GET /v1/models: {"object": "list", "data": [{"id", ...}]}; the ids into entry's
 * "openai_models" (and into "models", without digests, when Ollama's probes are not made). */
static bool probe_openai(const tdm_runtime_ops *ops, tdm_runtime *rt, const char *base, bool also_ollama,
                         json_t *entry, tdm_buf *probs)
{
    json_t *doc = get_json(ops, rt, base, "/v1/models", &OPENAI, probs);
    json_t *data = json_object_get(doc, "data");
    if (doc && !json_is_array(data)) {
        tdm_buf_printf(probs, "  - %s/v1/models did not answer a model list ({\"data\": [...]}); is this %s?\n", base,
                       OPENAI.what);
        json_decref(doc);
        return false;
    }
    json_t *ids = json_array();
    json_t *models = json_object_get(entry, "models");
    size_t k;
    json_t *m;
    json_array_foreach(data, k, m)
    {
        const char *id = json_string_value(json_object_get(m, "id"));
        if (!id)
            continue;
        json_array_append_new(ids, json_string(id));
        if (!also_ollama)
            json_object_set_new(models, id, json_null());
    }
    json_object_set_new(entry, "openai_models", ids);
    if (!also_ollama)
        json_object_set_new(entry, "note", json_string(OPENAI_NOTE));
    json_decref(doc);
    return doc != NULL;
}

/* What the agents on base speak: Ollama's APIs, the OpenAI API, or both. */
static void apis_on(const tdm_scenario *s, const char *base, bool *ollama, bool *openai)
{
    *ollama = *openai = false;
    for (size_t i = 0; i < s->n_agents; i++) {
        char *b = tdm_server_base_url(s->agents[i].url);
        if (b && strcmp(b, base) == 0) {
            if (s->agents[i].api == TDM_API_OPENAI)
                *openai = true;
            else
                *ollama = true;
        }
        free(b);
    }
}

/* One entry per server: {url, version, models: {name: digest}, reachable} as Ollama
 * answers, with "openai_models" and, for a server only openai agents use, a "note". */
static json_t *probe_server(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, const char *base,
                            tdm_buf *probs)
{
    bool ollama, openai;
    apis_on(s, base, &ollama, &openai);
    json_t *entry = json_pack("{s:s, s:n, s:o}", "url", base, "version", "models", json_object());
    bool ok = !ollama || probe_ollama(ops, rt, base, entry, probs);
    if (ok && openai)
        ok = probe_openai(ops, rt, base, ollama, entry, probs);
    json_object_set_new(entry, "reachable", json_boolean(ok));
    return entry;
}

/* The model names the agent's API lists on the server (entry). */
static json_t *listed_models(const tdm_agent *a, json_t *entry)
{
    json_t *names = json_array();
    if (a->api == TDM_API_OPENAI) {
        json_array_extend(names, json_object_get(entry, "openai_models"));
    } else {
        const char *name;
        json_t *dig;
        json_object_foreach(json_object_get(entry, "models"), name, dig) json_array_append_new(names, json_string(name));
    }
    return names;
}

static void check_model(const tdm_agent *a, const char *base, json_t *entry, tdm_buf *probs)
{
    json_t *names = listed_models(a, entry);
    size_t k;
    json_t *n;
    bool found = false;
    json_array_foreach(names, k, n) found = found || same_model(a->model, json_string_value(n));
    if (!found) {
        tdm_buf list = {0};
        json_array_foreach(names, k, n) tdm_buf_printf(&list, "%s%s", list.len ? ", " : "", json_string_value(n));
        if (a->api == TDM_API_OPENAI)
            tdm_buf_printf(probs,
                           "  - agent '%s': model '%s' is not served by %s (GET /v1/models lists: %s). Load it "
                           "there (Ollama: 'ollama pull %s'; llama-server and vLLM serve the model they were started "
                           "with) or change the agent's model to one listed.\n",
                           a->name, a->model, base, list.len ? tdm_buf_str(&list) : "no models", a->model);
        else
            tdm_buf_printf(probs,
                           "  - agent '%s': model '%s' is not on %s (it has: %s). Pull it there ('ollama pull "
                           "%s') or change the agent's model.\n",
                           a->name, a->model, base, list.len ? tdm_buf_str(&list) : "no models", a->model);
        tdm_buf_free(&list);
    }
    json_decref(names);
}

json_t *tdm_preflight(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, char *err, size_t errlen)
{
    json_t *servers = json_array();
    tdm_buf probs = {0};
    for (size_t i = 0; i < s->n_agents; i++) {
        const tdm_agent *a = &s->agents[i];
        char *base = tdm_server_base_url(a->url);
        json_t *entry = NULL;
        size_t k;
        json_t *e;
        json_array_foreach(servers, k, e) if (strcmp(json_string_value(json_object_get(e, "url")), base) == 0) entry = e;
        if (!entry) {
            entry = probe_server(ops, rt, s, base, &probs);
            json_array_append_new(servers, entry);
        }
        if (json_is_true(json_object_get(entry, "reachable")))
            check_model(a, base, entry, &probs);
        free(base);
    }
    if (probs.len) {
        snprintf(err, errlen, "the servers are not ready for this scenario:\n%s", tdm_buf_str(&probs));
        tdm_buf_free(&probs);
        json_decref(servers);
        return NULL;
    }
    return servers;
}
