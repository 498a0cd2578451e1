/* pins.c — a server checked against the experiment's pins, and the unload request
 * (see pins.h). */
#include "sweep/pins.h"

#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fileio.h"
#include "sweep/http.h"

static const char *strip_sha(const char *d)
{
    return strncmp(d, "sha256:", 7) == 0 ? d + 7 : d;
}

bool tdm_sweep_digest_matches(const char *pin, const char *server)
{
    if (!pin || !server || !tdm_sweep_digest_well_formed(pin))
        return false;
    const char *a = strip_sha(pin), *b = strip_sha(server);
    size_t la = strlen(a), lb = strlen(b);
    if (la > lb || (la < lb && la < 12))
        return false;
    return strncasecmp(a, b, la) == 0;
}

static json_t *get_json(const char *url, const char *path, int timeout_ms, char *err, size_t errlen)
{
    long status;
    tdm_buf body = {0};
    json_t *doc = NULL;
    if (tdm_sweep_http(url, "GET", path, NULL, timeout_ms, &status, &body, err, errlen) == 0) {
        if (status != 200) {
            snprintf(err, errlen, "GET %s%s answered HTTP %ld; is this an Ollama server?", url, path, status);
        } else {
            json_error_t je;
            doc = json_loadb(tdm_buf_str(&body), body.len, 0, &je);
            if (!doc)
                snprintf(err, errlen, "GET %s%s did not answer JSON (%s); is this an Ollama server?", url, path,
                         je.text);
        }
    }
    tdm_buf_free(&body);
    return doc;
}

/* The weights blob's digest from POST /api/show: the modelfile's FROM line names
 * .../blobs/sha256-<64 hex digits>. NULL when it is not there (tandem-sim names none). */
static char *weights_digest(const char *url, const char *model, int timeout_ms)
{
    json_t *req = json_pack("{s:s, s:s}", "model", model, "name", model);
    char *js = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    long status = 0;
    tdm_buf body = {0};
    char err[512], *out = NULL;
    if (js && tdm_sweep_http(url, "POST", "/api/show", js, timeout_ms, &status, &body, err, sizeof err) == 0 &&
        status == 200) {
        json_t *doc = json_loadb(tdm_buf_str(&body), body.len, 0, NULL);
        const char *mf = json_string_value(json_object_get(doc, "modelfile"));
        for (const char *l = mf; l && *l && !out; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
            if (strncmp(l, "FROM ", 5) != 0)
                continue;
            size_t len = strcspn(l, "\n");
            const char *h = NULL;
            for (const char *q = l; q + 7 + 64 <= l + len; q++)
                if (strncmp(q, "sha256-", 7) == 0 || strncmp(q, "sha256:", 7) == 0)
                    h = q + 7;
            size_t n = 0;
            while (h && n < 64 && isxdigit((unsigned char)h[n]))
                n++;
            if (h && n == 64)
                out = strndup(h, 64);
        }
        json_decref(doc);
    }
    free(js);
    tdm_buf_free(&body);
    return out;
}

/* The entry of models[] (from /api/tags or /api/ps) naming the model, or NULL. */
static json_t *find_model(json_t *doc, const char *model)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "models"), i, m)
    {
        const char *n = json_string_value(json_object_get(m, "name"));
        if (!n)
            n = json_string_value(json_object_get(m, "model"));
        if (n && tdm_sweep_same_model(n, model))
            return m;
    }
    return NULL;
}

__attribute__((format(printf, 2, 3))) static void mismatch(tdm_pincheck *p, const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    tdm_buf_printf(&p->mismatches, "%s\n", line);
    p->n_mismatches++;
}

static double gib(long long b)
{
    return (double)b / (1024.0 * 1024.0 * 1024.0);
}

bool tdm_sweep_vram_ok(tdm_vram_pin pin, const char *url, const char *model, long long size_vram, long long size,
                       char *why, size_t whylen)
{
    if (pin == TDM_VRAM_UNCHECKED)
        return true;
    if (size_vram <= 0) {
        snprintf(why, whylen,
                 "%s runs %s on the CPU (/api/ps size_vram 0 of %.2f GiB), but the experiment needs it on the GPU "
                 "(pins.model_in_vram); start an Ollama that uses the GPU there (on the GPU host: just ollama-up, "
                 "which refuses a CPU-only build)",
                 url, model, gib(size));
        return false;
    }
    if (pin == TDM_VRAM_FULL && size > 0 && size_vram < size) {
        snprintf(why, whylen,
                 "%s holds only %.1f%% of %s in VRAM (size_vram %.2f GiB of %.2f GiB); the rest runs on the CPU, "
                 "but pins.model_in_vram is full. Free GPU memory (nvidia-smi shows who holds it), lower num_ctx or "
                 "num_gpu's demand, or give each server its own GPU (just ollama-up --layout per-gpu)",
                 url, 100.0 * (double)size_vram / (double)size, model, gib(size_vram), gib(size));
        return false;
    }
    return true;
}

void tdm_pincheck_run(tdm_pincheck *p, const tdm_experiment *e, const char *url, bool vram)
{
    memset(p, 0, sizeof *p);
    p->size_vram = -1;
    p->size = -1;
    p->url = strdup(url);
    int tmo = (int)e->run.http_timeout_ms;
    char err[1024] = "";
    json_t *ver = get_json(url, "/api/version", tmo, err, sizeof err);
    if (!ver) {
        p->unreachable_reason = strdup(err);
        return;
    }
    p->reachable = true;
    const char *v = json_string_value(json_object_get(ver, "version"));
    p->version = v ? strdup(v) : NULL;
    json_decref(ver);
    v = p->version;
    const tdm_sweep_pins *pin = &e->pins;
    if (!v)
        mismatch(p, "%s: /api/version names no version; the experiment pins Ollama %s (pins.ollama_version)", url,
                 pin->ollama_version);
    else if (strcmp(v, pin->ollama_version) != 0)
        mismatch(p, "%s runs Ollama %s, but the experiment pins Ollama %s (pins.ollama_version)", url, v,
                 pin->ollama_version);

    json_t *tags = get_json(url, "/api/tags", tmo, err, sizeof err);
    json_t *m = tags ? find_model(tags, pin->model) : NULL;
    const char *dg = m ? json_string_value(json_object_get(m, "digest")) : NULL;
    if (!tags) {
        mismatch(p, "%s: cannot list its models: %s", url, err);
    } else if (!m) {
        mismatch(p, "%s does not have the pinned model %s; pull it there (ollama pull %s)", url, pin->model,
                 pin->model);
    } else if (!dg) {
        mismatch(p, "%s lists %s without a digest; the experiment pins %s (pins.model_digest)", url, pin->model,
                 pin->model_digest);
    } else {
        p->digest = strdup(dg);
        if (!tdm_sweep_digest_well_formed(pin->model_digest)) {
            mismatch(p,
                     "%s: pins.model_digest '%s' is not a digest (a placeholder?); the server's %s is %s - put that "
                     "into the experiment if it is the model you mean to measure",
                     url, pin->model_digest, pin->model, dg);
        } else if (!tdm_sweep_digest_matches(pin->model_digest, dg)) {
            p->weights_digest = weights_digest(url, pin->model, tmo);
            if (!tdm_sweep_digest_matches(pin->model_digest, p->weights_digest)) {
                char also[120] = "";
                if (p->weights_digest)
                    snprintf(also, sizeof also, " (weights sha256 %s)", p->weights_digest);
                mismatch(p, "%s has %s with digest %s%s, but the experiment pins digest %s (pins.model_digest)",
                         url, pin->model, dg, also, pin->model_digest);
            }
        }
    }
    json_decref(tags);

    if (vram && m) {
        /* Load the model (empty prompt, default keep_alive), then ask where it sits. */
        char body[1024];
        json_t *req = json_pack("{s:s, s:s}", "model", pin->model, "prompt", "");
        char *js = req ? json_dumps(req, JSON_COMPACT) : NULL;
        long status = 0;
        tdm_buf resp = {0};
        snprintf(body, sizeof body, "%s", js ? js : "{}");
        free(js);
        json_decref(req);
        int lrc = tdm_sweep_http(url, "POST", "/api/generate", body, tmo * 6, &status, &resp, err, sizeof err);
        tdm_buf_free(&resp);
        json_t *ps = lrc == 0 ? get_json(url, "/api/ps", tmo, err, sizeof err) : NULL;
        json_t *pm = ps ? find_model(ps, pin->model) : NULL;
        json_t *sv = pm ? json_object_get(pm, "size_vram") : NULL;
        json_t *sz = pm ? json_object_get(pm, "size") : NULL;
        if (lrc != 0 || !ps)
            mismatch(p, "%s: cannot load %s to check it sits on the GPU: %s", url, pin->model, err);
        else if (!json_is_integer(sv))
            mismatch(p, "%s: /api/ps does not show %s loaded after loading it; cannot check the GPU pin", url,
                     pin->model);
        else {
            p->size_vram = (long long)json_integer_value(sv);
            p->size = json_is_integer(sz) ? (long long)json_integer_value(sz) : -1;
            char why[1024];
            if (!tdm_sweep_vram_ok(pin->vram, url, pin->model, p->size_vram, p->size, why, sizeof why))
                mismatch(p, "%s", why);
        }
        json_decref(ps);
    }
}

void tdm_pincheck_free(tdm_pincheck *p)
{
    free(p->url);
    free(p->unreachable_reason);
    free(p->version);
    free(p->digest);
    free(p->weights_digest);
    tdm_buf_free(&p->mismatches);
    memset(p, 0, sizeof *p);
}

bool tdm_sweep_gpu_name_matches(const char *want, char *why, size_t whylen)
{
    FILE *f = popen("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null", "r");
    char line[256], names[1024] = "";
    bool found = false;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", line);
        if (strpbrk(want, "*?[") ? fnmatch(want, line, FNM_CASEFOLD) == 0 : strcasestr(line, want) != NULL)
            found = true;
    }
    int rc = f ? pclose(f) : -1;
    if (found)
        return true;
    if (rc != 0 || !names[0])
        snprintf(why, whylen,
                 "the experiment pins GPU '%s', but this host lists no GPU (nvidia-smi is missing or found none): "
                 "run it on the GPU host, or remove pins.gpu and pins.model_in_vram to measure this machine's CPU "
                 "on purpose",
                 want);
    else
        snprintf(why, whylen, "the experiment pins GPU '%s', but this host has: %s (pins.gpu)", want, names);
    return false;
}

int tdm_sweep_unload(const char *url, const char *model, int timeout_ms, char *err, size_t errlen)
{
    json_t *req = json_pack("{s:s, s:s, s:i}", "model", model, "prompt", "", "keep_alive", 0);
    char *js = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!js) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long status = 0;
    tdm_buf resp = {0};
    int rc = tdm_sweep_http(url, "POST", "/api/generate", js, timeout_ms, &status, &resp, err, errlen);
    free(js);
    tdm_buf_free(&resp);
    if (rc == 0 && status != 200) {
        snprintf(err, errlen, "unloading %s at %s answered HTTP %ld", model, url, status);
        rc = -1;
    }
    return rc;
}

json_t *tdm_pincheck_json(const tdm_pincheck *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "url", json_string(p->url ? p->url : ""));
    json_object_set_new(o, "reachable", json_boolean(p->reachable));
    if (!p->reachable)
        json_object_set_new(o, "error", json_string(p->unreachable_reason ? p->unreachable_reason : ""));
    json_object_set_new(o, "version", p->version ? json_string(p->version) : json_null());
    json_object_set_new(o, "model_digest", p->digest ? json_string(p->digest) : json_null());
    if (p->weights_digest)
        json_object_set_new(o, "weights_digest", json_string(p->weights_digest));
    if (p->size_vram >= 0)
        json_object_set_new(o, "size_vram", json_integer(p->size_vram));
    if (p->size >= 0)
        json_object_set_new(o, "size", json_integer(p->size));
    json_t *mm = json_array();
    const char *s = tdm_buf_str(&p->mismatches);
    while (*s) {
        size_t n = strcspn(s, "\n");
        json_array_append_new(mm, json_stringn(s, n));
        s += n + (s[n] == '\n');
    }
    json_object_set_new(o, "mismatches", mm);
    return o;
}

bool tdm_sweep_cell_vram_ok(const char *cell_dir, tdm_vram_pin pin, const char *model, char *why, size_t whylen)
{
    if (pin == TDM_VRAM_UNCHECKED || !model)
        return true;
    char *path = tdm_path_join(cell_dir, "provenance.json");
    char err[512];
    json_t *prov = path ? tdm_read_json_file(path, err, sizeof err) : NULL;
    free(path);
    bool ok = true;
    size_t i, k;
    json_t *snap, *m;
    json_array_foreach(json_object_get(prov, "server_memory"), i, snap)
    {
        const char *url = json_string_value(json_object_get(snap, "url"));
        json_array_foreach(json_object_get(snap, "models"), k, m)
        {
            const char *name = json_string_value(json_object_get(m, "name"));
            json_t *sv = json_object_get(m, "size_vram"), *sz = json_object_get(m, "size");
            if (!ok || !name || !tdm_sweep_same_model(name, model) || !json_is_integer(sv))
                continue;
            char one[900];
            if (!tdm_sweep_vram_ok(pin, url ? url : "?", name, (long long)json_integer_value(sv),
                                   json_is_integer(sz) ? (long long)json_integer_value(sz) : -1, one, sizeof one)) {
                const char *ph = json_string_value(json_object_get(snap, "phase"));
                const char *when = json_string_value(json_object_get(snap, "when"));
                snprintf(why, whylen, "%s %s phase of run %lld: %s", when ? when : "at", ph ? ph : "a",
                         (long long)json_integer_value(json_object_get(snap, "run")), one);
                ok = false;
            }
        }
    }
    json_decref(prov);
    return ok;
}
