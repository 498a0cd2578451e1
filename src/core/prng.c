/* prng.c — splitmix64 and a seeded shuffle (see prng.h). */
#include "core/prng.h"

uint64_t tdm_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void tdm_shuffle_ints(int *v, size_t n, uint64_t seed)
{
    uint64_t st = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(tdm_splitmix64(&st) % i);
        int t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}
