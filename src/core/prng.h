/* prng.h — a small seeded generator (splitmix64) so every shuffle is reproducible from
 * the seed recorded with the results, on any machine and libc. */
#ifndef TDM_PRNG_H
#define TDM_PRNG_H

#include <stddef.h>
#include <stdint.h>

uint64_t tdm_splitmix64(uint64_t *state);
/* Fisher–Yates shuffle of n ints with the given seed. */
void tdm_shuffle_ints(int *v, size_t n, uint64_t seed);

#endif
