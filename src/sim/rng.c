/* rng.c — seeded randomness for the simulator (see rng.h). */
#include "sim/rng.h"

#include <math.h>

uint64_t tdm_sim_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t tdm_sim_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ tdm_sim_mix64(seed);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return tdm_sim_mix64(h ^ len);
}

void tdm_sim_rng_seed(tdm_sim_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t tdm_sim_rng_next(tdm_sim_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return tdm_sim_mix64(r->s);
}

double tdm_sim_rng_unit(tdm_sim_rng *r)
{
    return (double)(tdm_sim_rng_next(r) >> 11) * 0x1.0p-53;
}

uint32_t tdm_sim_rng_below(tdm_sim_rng *r, uint32_t n)
{
    /* Multiply-shift: the bias for the small n used here is far below 2^-32. */
    return (uint32_t)(((tdm_sim_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double tdm_sim_rng_normal(tdm_sim_rng *r)
{
    double u1 = 1.0 - tdm_sim_rng_unit(r); /* (0, 1]: log() stays finite */
    double u2 = tdm_sim_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

int64_t tdm_sim_draw_length(tdm_sim_rng *r, double mean, double sd, int64_t max)
{
    double x = mean + (sd > 0 ? sd * tdm_sim_rng_normal(r) : 0.0);
    if (!(x >= 1.0)) /* also catches NaN */
        return 1;
    if (x >= (double)max)
        return max;
    return (int64_t)llround(x);
}
