/* pins.h — checking a server against the experiment's pins before anything is measured:
 * GET /api/version must report the pinned Ollama version, GET /api/tags must list the
 * pinned model with the pinned digest, and on a GPU experiment the model, once loaded,
 * must sit in VRAM (GET /api/ps size_vram) and nvidia-smi must name the pinned GPU.
 * Also the unload between cells (POST /api/generate, empty prompt, keep_alive 0). */
#ifndef TDM_SWEEP_PINS_H
#define TDM_SWEEP_PINS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "sweep/experiment.h"

struct json_t;

typedef struct tdm_pincheck {
    char *url;
    bool reachable;
    char *unreachable_reason; /* when !reachable */
    char *version;            /* what /api/version said; NULL if unknown */
    char *digest;             /* the pinned model's digest there (/api/tags); NULL if not listed */
    char *weights_digest;     /* its weights blob's sha256 (/api/show FROM line), when looked up */
    long long size_vram;      /* -1 when not checked */
    long long size;           /* the loaded model's whole size (/api/ps size); -1 when not checked */
    tdm_buf mismatches;       /* one line per mismatch, each naming what was found and the pin */
    int n_mismatches;
} tdm_pincheck;

/* Asks url for its version and models (and, with vram, loads the model and reads
 * /api/ps, holding it to e->pins.vram). Never fails as a whole: an unreachable server is
 * recorded as such. */
void tdm_pincheck_run(tdm_pincheck *p, const tdm_experiment *e, const char *url, bool vram);

/* Whether a model with size_vram bytes of size in VRAM satisfies the pin; otherwise false
 * with a sentence naming what was found and the fix (url and model name the place). */
bool tdm_sweep_vram_ok(tdm_vram_pin pin, const char *url, const char *model, long long size_vram, long long size,
                       char *why, size_t whylen);
void tdm_pincheck_free(tdm_pincheck *p);

/* Whether the digest a server reports matches the pin: equal after dropping any
 * "sha256:" prefix and case, or the pin is a prefix of at least 12 hex digits.
 * The pin may name either digest a server knows for the model: the manifest digest of
 * GET /api/tags (what `ollama list` shows; it can differ between two servers' model
 * directories holding the same weights), or the weights blob's sha256 (the GGUF file's
 * own hash, named by the FROM line of POST /api/show), which is the same everywhere. */
bool tdm_sweep_digest_matches(const char *pin, const char *server);

/* The GPU pin, checked on this host with nvidia-smi: a name containing want, or matching
 * it as a glob when it has * ? or [ (case-insensitive both). Returns true when a GPU
 * matches; otherwise false with the reason in why. */
bool tdm_sweep_gpu_name_matches(const char *want, char *why, size_t whylen);

/* Holds the /api/ps snapshots a cell's run took (provenance.json "server_memory" in
 * cell_dir) to the VRAM pin. True when they satisfy it or there are none to check;
 * otherwise false with why naming the server, the phase and the fix. */
bool tdm_sweep_cell_vram_ok(const char *cell_dir, tdm_vram_pin pin, const char *model, char *why, size_t whylen);

/* POST /api/generate {"model": m, "prompt": "", "keep_alive": 0}: Ollama unloads the
 * model. Returns 0, or -1 with err. */
int tdm_sweep_unload(const char *url, const char *model, int timeout_ms, char *err, size_t errlen);

/* {url, reachable, version, digest, size_vram?, mismatches: [...]} */
struct json_t *tdm_pincheck_json(const tdm_pincheck *p);

#endif
