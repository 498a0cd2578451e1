/* models.h — the models a simulated Ollama serves, their listing JSON (/api/tags,
 * /api/show, /api/ps), and whether each one is loaded on a port.
 *
 * Load state is kept per port, not per device: each port stands for one Ollama server
 * process, and two servers on one GPU (the seed's set-up) each load their own copy. */
#ifndef TDM_SIM_MODELS_H
#define TDM_SIM_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct tdm_sim_model {
    char name[128];          /* normalised: "name:tag" */
    char digest[65];         /* sha256 hex of the name */
    int64_t size;            /* bytes */
    char family[64];
    char parameter_size[16]; /* "4.3B" */
    const char *quantization;
    int64_t context_length;
    int64_t param_count;     /* model_info general.parameter_count */
    int64_t embedding_length, block_count, head_count, head_count_kv;
} tdm_sim_model;

/* Fills m for a model name; returns -1 when the name is empty or too long. */
int tdm_sim_model_init(tdm_sim_model *m, const char *name);
/* Ollama's short form: "gemma3" means "gemma3:latest". Returns -1 when it does not fit. */
int tdm_sim_model_normalize(const char *in, char *out, size_t outlen);
/* The index of the served model a request names, or -1 (404 "model 'x' not found"). */
int tdm_sim_model_find(const tdm_sim_model *models, size_t n, const char *name);

/* A fixed modification time, so listings are identical from run to run. */
#define TDM_SIM_MODIFIED_AT "2025-08-05T12:00:00Z"
/* The same instant in Unix seconds (/v1/models' "created"). */
#define TDM_SIM_MODIFIED_UNIX 1754395200LL

int tdm_sim_wire_tags(tdm_buf *b, const tdm_sim_model *models, size_t n);
int tdm_sim_wire_show(tdm_buf *b, const tdm_sim_model *m);

/* One model's residency on one port. */
enum { TDM_SIM_UNLOADED = 0, TDM_SIM_LOADING, TDM_SIM_LOADED };
typedef struct tdm_sim_loaded {
    int state;
    int64_t ready_ns;      /* LOADING: when the load completes */
    int64_t expires_ns;    /* refs == 0: when it unloads (INT64_MAX: never) */
    int64_t keep_alive_ns; /* the last request's keep_alive */
    int refs;              /* requests using the model now */
} tdm_sim_loaded;

/* A request at time t wants the model and asks for this keep_alive. Returns when it
 * will be ready: t when it is resident, the end of a load already under way, or
 * t + load_ns for a cold load. */
int64_t tdm_sim_loaded_acquire(tdm_sim_loaded *l, int64_t t, int64_t load_ns,
                               int64_t keep_alive_ns);
/* The request finished at t with this keep_alive (ns, or INT64_MAX for forever). */
void tdm_sim_loaded_release(tdm_sim_loaded *l, int64_t t, int64_t keep_alive_ns);
/* keep_alive 0 with an empty prompt: unload now, or as soon as the last user is done. */
void tdm_sim_loaded_unload(tdm_sim_loaded *l, int64_t t);
/* Resident (or loading) at time t. */
bool tdm_sim_loaded_resident(const tdm_sim_loaded *l, int64_t t);

/* /api/ps for one port. loaded[i] belongs to models[i]; mono_now and wall_now_ns (Unix
 * ns) translate monotonic expiry times into RFC 3339. */
int tdm_sim_wire_ps(tdm_buf *b, const tdm_sim_model *models, const tdm_sim_loaded *loaded,
                    size_t n, int64_t mono_now, int64_t wall_now_ns, double vram_pct);

#endif
