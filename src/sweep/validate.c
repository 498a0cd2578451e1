/* validate.c — `tandem-sweep --validate`: checks everything a sweep needs before an
 * hour of GPU time is spent on it, and reports every problem at once: each variant
 * binary, each server (reachable, pinned version, pinned model and digest, on a GPU
 * experiment the model in VRAM and the GPU's name), the output directory (writable; a
 * manifest there belongs to this experiment). Exit 0 when nothing is wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/pins.h"
#include "sweep/sweep_int.h"

/* The nearest existing ancestor of path (heap), to tell whether it can be created. */
static char *existing_ancestor(const char *path)
{
    char *p = strdup(path);
    while (p && !tdm_path_exists(p)) {
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) {
            free(p);
            return strdup("/");
        }
        *slash = '\0';
    }
    return p;
}

int tdm_sweep_validate(tdm_sweep_ctx *c)
{
    const tdm_experiment *e = &c->e;
    tdm_buf probs = {0}, notes = {0};
    int n = 0;

    for (size_t i = 0; i < e->n_variants; i++)
        if (!c->bin_found[i]) {
            tdm_buf_printf(&probs,
                           "variant %s: no executable %s (nor tandem-%s on PATH); build it (make VARIANT=%s), or "
                           "point --bin-dir / TANDEM_BIN at the directory holding it\n",
                           e->variants[i], c->binaries[i], e->variants[i], e->variants[i]);
            n++;
        } else {
            tdm_buf_printf(&notes, "variant %s: %s\n", e->variants[i], c->binaries[i]);
        }

    for (size_t u = 0; u < c->n_urls; u++) {
        tdm_pincheck p;
        tdm_pincheck_run(&p, e, c->urls[u], e->pins.vram != TDM_VRAM_UNCHECKED);
        if (!p.reachable) {
            tdm_buf_printf(&probs, "server %s: unreachable (%s); start Ollama there (just ollama-up), or fix the "
                                   "endpoint in the experiment\n",
                           c->urls[u], p.unreachable_reason ? p.unreachable_reason : "?");
            n++;
        } else if (p.n_mismatches) {
            tdm_buf_append_str(&probs, tdm_buf_str(&p.mismatches));
            n += p.n_mismatches;
        } else {
            tdm_buf_printf(&notes, "server %s: Ollama %s, %s @ %s%.19s...%s\n", c->urls[u], p.version, e->pins.model,
                           p.weights_digest ? "weights " : "", p.weights_digest ? p.weights_digest : p.digest,
                           p.size_vram > 0 ? ", in VRAM" : "");
        }
        tdm_pincheck_free(&p);
    }
    if (e->pins.gpu) {
        char why[1024];
        if (!tdm_sweep_gpu_name_matches(e->pins.gpu, why, sizeof why)) {
            tdm_buf_printf(&probs, "%s\n", why);
            n++;
        }
    }

    /* The output directory: writable (or creatable), and any manifest there ours. */
    if (tdm_path_exists(c->out) && !tdm_is_dir(c->out)) {
        tdm_buf_printf(&probs, "output %s exists and is not a directory; choose another --out\n", c->out);
        n++;
    } else {
        char *anc = existing_ancestor(c->out);
        if (anc && !tdm_is_dir(anc)) {
            tdm_buf_printf(&probs, "output %s: %s is a file, not a directory; choose another --out\n", c->out, anc);
            n++;
        } else if (anc && access(anc, W_OK | X_OK) != 0) {
            tdm_buf_printf(&probs, "output %s: %s is not writable (%s); choose another --out or fix permissions\n",
                           c->out, anc, strerror(errno));
            n++;
        }
        free(anc);
        char err[1024];
        if (c->prior_err[0]) {
            tdm_buf_printf(&probs, "output %s: %s\n", c->out, c->prior_err);
            n++;
        } else if (c->has_prior &&
                   tdm_manifest_check_resume(&c->prior, e, c->cells, c->n_cells, err, sizeof err) != 0) {
            tdm_buf_printf(&probs, "output %s: %s\n", c->out, err);
            n++;
        } else if (c->has_prior) {
            size_t k[TDM_CELL_STATE_COUNT];
            tdm_manifest_counts(&c->prior, k);
            tdm_buf_printf(&notes, "output %s: resumes a sweep with %zu ok, %zu failed of %zu cells\n", c->out,
                           k[TDM_CELL_OK] + k[TDM_CELL_INCOMPLETE], k[TDM_CELL_FAILED], c->n_cells);
        } else {
            tdm_buf_printf(&notes, "output %s: new\n", c->out);
        }
    }

    if (!c->o->quiet && notes.len)
        fprintf(stderr, "%s", tdm_buf_str(&notes));
    if (n == 0) {
        printf("tandem-sweep: %s is ready to run: %zu cells, %zu variants, %zu servers, pins hold.\n", e->path,
               c->n_cells, e->n_variants, c->n_urls);
    } else {
        printf("tandem-sweep: %d problem%s with %s:\n", n, n == 1 ? "" : "s", e->path);
        const char *s = tdm_buf_str(&probs);
        while (*s) {
            size_t len = strcspn(s, "\n");
            printf("  - %.*s\n", (int)len, s);
            s += len + (s[len] == '\n');
        }
        if (c->o->allow_unpinned)
            printf("(--allow-unpinned: a run would measure despite pin mismatches and record them in every cell)\n");
    }
    tdm_buf_free(&probs);
    tdm_buf_free(&notes);
    return n ? TDM_SWEEP_EXIT_ERROR : TDM_SWEEP_EXIT_OK;
}
