/* arrivals.c — when open-loop calls arrive (see tdm_arrivals in scenario.h).
 *
 * A closed-loop release (every agent at once, the next call when the last ends) lets a
 * slow server slow the offered load down with it; open-loop arrivals do not wait for the
 * server, so queueing shows as latency, as it does for users of a shared service. The
 * instants are computed once, from the scenario's seed, before anything runs: the runs
 * of a scenario, and every variant measured with it, offer exactly the same arrivals. */
#include "core/scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/prng.h"

/* The Poisson draws get a stream of their own, apart from the sequential shuffle's. */
#define ARRIVALS_STREAM 0x61727269766c73ULL /* "arrivls" */

const char *tdm_arrival_process_name(tdm_arrival_process p)
{
    switch (p) {
    case TDM_ARRIVALS_POISSON:
        return "poisson";
    case TDM_ARRIVALS_CONSTANT:
        return "constant";
    default:
        return NULL;
    }
}

/* A uniform draw in [0, 1) with 53 random bits. */
static double uniform01(uint64_t *st)
{
    return (double)(tdm_splitmix64(st) >> 11) * 0x1.0p-53;
}

int tdm_arrivals_offsets(const tdm_arrivals *a, uint64_t seed, int64_t **out, size_t *n, char *err,
                         size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!(a->rate > 0) || !isfinite(a->rate) || !(a->duration_s > 0) || !isfinite(a->duration_s)) {
        snprintf(err, errlen, "arrivals: rate (%g) and duration_s (%g) must both be positive numbers", a->rate,
                 a->duration_s);
        return -1;
    }
    double expected = a->rate * a->duration_s;
    if (expected > TDM_TEMPLATE_MAX_AGENTS) {
        snprintf(err, errlen,
                 "arrivals: rate %g x duration_s %g is %.0f calls, over the %d a scenario holds; lower the rate or "
                 "the duration",
                 a->rate, a->duration_s, expected, TDM_TEMPLATE_MAX_AGENTS);
        return -1;
    }
    /* Poisson counts exceed their mean; room for 8 standard deviations more, then grow. */
    size_t cap = (size_t)(expected + 8.0 * sqrt(expected) + 16.0);
    int64_t *t = malloc(cap * sizeof *t);
    if (!t) {
        snprintf(err, errlen, "arrivals: out of memory for %zu arrival times", cap);
        return -1;
    }
    uint64_t st = seed ^ ARRIVALS_STREAM;
    size_t k = 0;
    for (double at = 0.0;; k++) {
        if (a->process == TDM_ARRIVALS_CONSTANT)
            at = (double)k / a->rate; /* from k, not summed: no drift over many calls */
        else
            at += -log1p(-uniform01(&st)) / a->rate;
        if (at >= a->duration_s)
            break;
        if (k == TDM_TEMPLATE_MAX_AGENTS) {
            free(t);
            snprintf(err, errlen, "arrivals: more than %d calls arrived in %g s; lower the rate or the duration",
                     TDM_TEMPLATE_MAX_AGENTS, a->duration_s);
            return -1;
        }
        if (k == cap) {
            int64_t *grown = realloc(t, 2 * cap * sizeof *t);
            if (!grown) {
                free(t);
                snprintf(err, errlen, "arrivals: out of memory for %zu arrival times", 2 * cap);
                return -1;
            }
            t = grown;
            cap *= 2;
        }
        t[k] = (int64_t)llround(at * 1e9);
    }
    if (k == 0) {
        free(t);
        snprintf(err, errlen,
                 "arrivals: no call arrives in duration_s %g at rate %g (the first draw fell after the end); raise "
                 "the rate or the duration",
                 a->duration_s, a->rate);
        return -1;
    }
    *out = t;
    *n = k;
    return 0;
}
