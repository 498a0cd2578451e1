/* rng.h — the simulator's seeded randomness: a splitmix64 generator, a string hash and
 * the output-length draw. Everything the simulator "chooses" (output lengths, token
 * text) comes from here, so one --seed reproduces a run exactly. */
#ifndef TDM_SIM_RNG_H
#define TDM_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct tdm_sim_rng {
    uint64_t s;
} tdm_sim_rng;

/* splitmix64's finaliser: a bijective 64-bit mix, used to combine seeds. */
uint64_t tdm_sim_mix64(uint64_t z);
/* FNV-1a over the bytes, finalised with tdm_sim_mix64; seed makes independent families. */
uint64_t tdm_sim_hash64(const void *data, size_t len, uint64_t seed);

void tdm_sim_rng_seed(tdm_sim_rng *r, uint64_t seed);
uint64_t tdm_sim_rng_next(tdm_sim_rng *r);
/* Uniform in [0, 1). */
double tdm_sim_rng_unit(tdm_sim_rng *r);
/* Uniform in [0, n) for n >= 1 (0 when n == 0). */
uint32_t tdm_sim_rng_below(tdm_sim_rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
double tdm_sim_rng_normal(tdm_sim_rng *r);
/* An output length: round(mean + sd * N(0,1)), clamped to [1, max]. */
int64_t tdm_sim_draw_length(tdm_sim_rng *r, double mean, double sd, int64_t max);

#endif
