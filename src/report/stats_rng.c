/* stats_rng.c — the bootstrap's random numbers: xoshiro256** 1.0 (Blackman &
 * Vigna, public domain), its state filled from a 64-bit seed by splitmix64 as its
 * authors recommend (any seed, 0 included, gives a valid non-zero state).
 *
 * Our own rather than rand()/random()/drand48(), whose sequences differ between
 * libcs: a report must print the same bootstrap interval on every machine. Pure
 * 64-bit integer arithmetic, so the stream is the same everywhere; the known-answer
 * values in tests/unit/test_report_stats.c pin it. */
#include <stdint.h>

#include "report/stats_internal.h"

uint64_t tdm_stats_priv_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void tdm_stats_priv_rng_seed(tdm_stats_priv_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = tdm_stats_priv_splitmix64(&seed);
}

uint64_t tdm_stats_priv_rng_next(tdm_stats_priv_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Draws below 2^64 mod n are rejected, leaving a range whose length is a multiple
 * of n, so v % n is exactly uniform. */
size_t tdm_stats_priv_rng_below(tdm_stats_priv_rng *r, size_t n)
{
    uint64_t bound = (uint64_t)n, floor_ = (0 - bound) % bound; /* 2^64 mod n */
    uint64_t v;
    do
        v = tdm_stats_priv_rng_next(r);
    while (v < floor_);
    return (size_t)(v % bound);
}

