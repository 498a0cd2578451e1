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

/* GETs base+path and parses JSON; NULL with a problem appended to probs. */
static json_t *get_json(const tdm_runtime_ops *ops, tdm_runtime *rt, const char *base, const char *path, tdm_buf *probs)
{
    tdm_buf url = {0}, body = {0};
    char err[512] = "";
    long status = 0;
    json_t *doc = NULL;
    tdm_buf_printf(&url, "%s%s", base, path);
    if (ops->fetch(rt, tdm_buf_str(&url), NULL, PREFLIGHT_TIMEOUT_MS, &status, &body, err, sizeof err) != 0) {
        tdm_buf_printf(probs,
                       "  - cannot reach Ollama at %s (%s). Start it there ('ollama serve', or 'just sim' for the "
                       "simulator) or fix the agent's url.\n",
                       base, err);
    } else if (status != 200) {
        tdm_buf_printf(probs, "  - %s answered HTTP %ld; is this an Ollama server?\n", tdm_buf_str(&url), status);
    } else {
        json_error_t je;
        doc = json_loadb(tdm_buf_str(&body), body.len, 0, &je);
        if (!doc)
            tdm_buf_printf(probs, "  - %s did not answer JSON (%s); is this an Ollama server?\n", tdm_buf_str(&url),
                           je.text);
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
            json_t *ver = get_json(ops, rt, base, "/api/version", &probs);
            json_t *tags = ver ? get_json(ops, rt, base, "/api/tags", &probs) : NULL;
            json_t *models = json_object();
            json_t *m;
            json_array_foreach(json_object_get(tags, "models"), k, m)
            {
                const char *name = json_string_value(json_object_get(m, "name"));
                const char *digest = json_string_value(json_object_get(m, "digest"));
                if (name)
                    json_object_set_new(models, name, json_string(digest ? digest : ""));
            }
            const char *version = json_string_value(json_object_get(ver, "version"));
            entry = json_pack("{s:s, s:s?, s:o, s:b}", "url", base, "version", version, "models", models, "reachable",
                              ver != NULL && tags != NULL);
            json_array_append_new(servers, entry);
            json_decref(ver);
            json_decref(tags);
        }
        if (json_is_true(json_object_get(entry, "reachable"))) {
            json_t *models = json_object_get(entry, "models");
            const char *name;
            json_t *dig;
            bool found = false;
            json_object_foreach(models, name, dig) if (same_model(a->model, name)) found = true;
            if (!found) {
                tdm_buf list = {0};
                json_object_foreach(models, name, dig) tdm_buf_printf(&list, "%s%s", list.len ? ", " : "", name);
                tdm_buf_printf(&probs,
                               "  - agent '%s': model '%s' is not on %s (it has: %s). Pull it there ('ollama pull "
                               "%s') or change the agent's model.\n",
                               a->name, a->model, base, list.len ? tdm_buf_str(&list) : "no models", a->model);
                tdm_buf_free(&list);
            }
        }
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
