/* run_pins.c — the experiment's pins as a run checks and records them: each server's
 * check (before the sweep and again before every cell, since a server restarted
 * mid-sweep may be another version), the refusal that names both sides, and a cell's
 * verdict and mismatches for its cell.json and provenance. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "sweep/run_int.h"

bool tdm_sweep_cell_pins_ok(const tdm_sweep_runner *r, const tdm_sweep_point *pt)
{
    if (!r->gpu_ok)
        return false;
    for (size_t u = 0; u < pt->n_urls; u++) {
        const tdm_pincheck *p = &r->pins[tdm_sweep_url_index(r->c, pt->urls[u])];
        if (!p->reachable || p->n_mismatches)
            return false;
    }
    return true;
}

json_t *tdm_sweep_cell_pin_mismatches(const tdm_sweep_runner *r, const tdm_sweep_point *pt)
{
    json_t *a = json_array();
    if (!r->gpu_ok)
        json_array_append_new(a, json_string(r->gpu_why));
    for (size_t u = 0; u < pt->n_urls; u++) {
        const tdm_pincheck *p = &r->pins[tdm_sweep_url_index(r->c, pt->urls[u])];
        if (!p->reachable) {
            char msg[1400];
            snprintf(msg, sizeof msg, "%s: not verified, unreachable when checked (%s)", p->url,
                     p->unreachable_reason ? p->unreachable_reason : "?");
            json_array_append_new(a, json_string(msg));
        }
        const char *s = tdm_buf_str(&p->mismatches);
        while (*s) {
            size_t n = strcspn(s, "\n");
            json_array_append_new(a, json_stringn(s, n));
            s += n + (s[n] == '\n');
        }
    }
    return a;
}

json_t *tdm_sweep_pins_expected(const tdm_experiment *e)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "ollama_version", e->pins.ollama_version, "model", e->pins.model,
                          "model_digest", e->pins.model_digest);
    json_object_set_new(o, "gpu", e->pins.gpu ? json_string(e->pins.gpu) : json_null());
    return o;
}

/* Checks urls (all of them when n is the full list); returns the number of reachable
 * servers that do not match. Refusal messages name both sides. */
int tdm_sweep_check_pins(tdm_sweep_runner *r, char **urls, size_t n, bool gpu, bool announce)
{
    tdm_sweep_ctx *c = r->c;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = tdm_sweep_url_index(c, urls[i]);
        long long vram = r->pins[k].size_vram; /* measured once, at the start: keep it */
        tdm_pincheck_free(&r->pins[k]);
        tdm_pincheck_run(&r->pins[k], &c->e, urls[i], gpu);
        if (!gpu && vram > 0 && r->pins[k].reachable)
            r->pins[k].size_vram = vram;
        const tdm_pincheck *p = &r->pins[k];
        if (p->reachable && p->n_mismatches)
            bad++;
        else if (!p->reachable && announce)
            tdm_sweep_progress(c,
                               "warning: %s is unreachable (%s); its pins cannot be checked now. Cells that use it "
                               "will be tried (with retries) and recorded as failed if it stays down.\n",
                               urls[i], p->unreachable_reason ? p->unreachable_reason : "?");
        else if (announce)
            tdm_sweep_progress(c, "%s: Ollama %s, %s @ %s%.12s...: pins hold%s\n", urls[i], p->version,
                               c->e.pins.model, p->weights_digest ? "weights " : "",
                               p->weights_digest ? p->weights_digest : p->digest ? p->digest : "?",
                               p->size_vram > 0 ? " (in VRAM)" : "");
    }
    return bad;
}

void tdm_sweep_print_refusal(tdm_sweep_runner *r, char **urls, size_t n)
{
    fprintf(stderr, "tandem-sweep: refusing to measure: the servers do not match the experiment's pins:\n");
    for (size_t i = 0; i < n; i++) {
        const tdm_pincheck *p = &r->pins[tdm_sweep_url_index(r->c, urls[i])];
        const char *s = tdm_buf_str(&p->mismatches);
        while (*s) {
            size_t len = strcspn(s, "\n");
            fprintf(stderr, "  - %.*s\n", (int)len, s);
            s += len + (s[len] == '\n');
        }
    }
    if (!r->gpu_ok)
        fprintf(stderr, "  - %s\n", r->gpu_why);
    fprintf(stderr, "Start the pinned Ollama and model, or change the pins in %s, or pass --allow-unpinned to "
                    "measure anyway (every cell then records the mismatch).\n",
            r->c->e.path);
}

