/* gpu_samples.c — gpu.csv read strictly, and a span's utilisation and energy from it
 * (see gpu_samples.h). Parsing never trusts the file: every field is checked for its
 * characters and length before it is converted, so a damaged file is an error with its
 * line number, never a crash. */
#include "core/gpu_samples.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FIELDS 8
#define FIELD_MAX 63
#define MAX_FILE ((long)1 << 30)
/* Larger times cannot be honest CLOCK_MONOTONIC readings (2^62 ns is 146 years) and
 * would overflow differences. */
#define MAX_T_NS ((int64_t)1 << 62)

static const char *const FIELD_NAMES[N_FIELDS] = {"t_mono_ns", "gpu",    "util_pct", "mem_used_mib",
                                                  "power_w",   "sm_clock_mhz", "temp_c", "energy_mj"};

/* ---- parsing ---------------------------------------------------------------------------- */

/* A non-negative integer made of digits only; returns 0 or -1. */
static int parse_uint(const char *f, size_t len, int64_t max, int64_t *out)
{
    if (len == 0)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (f[i] < '0' || f[i] > '9')
            return -1;
        int d = f[i] - '0';
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* A decimal number ([-]digits[.digits][e[+-]digits]) or empty (NaN); returns 0 or -1. */
static int parse_num(const char *f, size_t len, double *out)
{
    if (len == 0) {
        *out = NAN;
        return 0;
    }
    if (len > FIELD_MAX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", f[i]))
            return -1;
    char buf[FIELD_MAX + 1];
    memcpy(buf, f, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int fail(char *err, size_t errlen, const char *name, size_t line, const char *what)
{
    snprintf(err, errlen,
             "%s, line %zu: %s (a gpu.csv is the header \"" TDM_GPU_SAMPLES_HEADER "\" then one line per GPU per "
             "sample, as tandem-gpu-telemetry writes it: repair the line, or remove the file to use the run "
             "without GPU numbers)",
             name, line, what);
    return -1;
}

static int add_gpu(tdm_gpu_samples *s, int gpu)
{
    size_t i = 0;
    while (i < s->n_gpus && s->gpus[i] < gpu)
        i++;
    if (i < s->n_gpus && s->gpus[i] == gpu)
        return 0;
    memmove(&s->gpus[i + 1], &s->gpus[i], (s->n_gpus - i) * sizeof s->gpus[0]);
    s->gpus[i] = gpu;
    s->n_gpus++;
    return 0;
}

/* One data line (without its newline) into *out. */
static int parse_line(const char *p, size_t len, const char *name, size_t line, tdm_gpu_reading *out, char *err,
                      size_t errlen)
{
    const char *f[N_FIELDS];
    size_t flen[N_FIELDS];
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != ',')
            continue;
        if (nf == N_FIELDS)
            return fail(err, errlen, name, line, "more than 8 fields");
        f[nf] = p + start;
        flen[nf] = i - start;
        nf++;
        start = i + 1;
    }
    if (nf != N_FIELDS) {
        char what[64];
        snprintf(what, sizeof what, "%zu fields where 8 are expected", nf);
        return fail(err, errlen, name, line, what);
    }
    int64_t t, gpu;
    if (parse_uint(f[0], flen[0], MAX_T_NS, &t) != 0)
        return fail(err, errlen, name, line, "t_mono_ns is not a non-negative integer of nanoseconds");
    if (parse_uint(f[1], flen[1], TDM_GPU_MAX - 1, &gpu) != 0)
        return fail(err, errlen, name, line, "gpu is not an index from 0 to 63");
    out->t_ns = t;
    out->gpu = (int)gpu;
    double *v[6] = {&out->util_pct, &out->mem_used_mib, &out->power_w,
                    &out->sm_clock_mhz, &out->temp_c, &out->energy_mj};
    for (int k = 0; k < 6; k++)
        if (parse_num(f[k + 2], flen[k + 2], v[k]) != 0) {
            char what[96];
            snprintf(what, sizeof what, "%s is neither a number nor empty", FIELD_NAMES[k + 2]);
            return fail(err, errlen, name, line, what);
        }
    if (!isnan(out->util_pct) && (out->util_pct < 0 || out->util_pct > 100))
        return fail(err, errlen, name, line, "util_pct is outside 0..100");
    if ((!isnan(out->power_w) && out->power_w < 0) || (!isnan(out->energy_mj) && out->energy_mj < 0))
        return fail(err, errlen, name, line, "power_w or energy_mj is negative");
    return 0;
}

int tdm_gpu_samples_parse(const char *text, size_t len, const char *name, tdm_gpu_samples *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!name)
        name = "gpu.csv";
    if (memchr(text, '\0', len))
        return fail(err, errlen, name, 1, "the file holds a NUL byte (not a text file)");
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (line == 1) {
            if (l != strlen(TDM_GPU_SAMPLES_HEADER) || memcmp(p, TDM_GPU_SAMPLES_HEADER, l) != 0) {
                tdm_gpu_samples_free(out);
                return fail(err, errlen, name, line, "the header is not the expected one");
            }
        } else {
            tdm_gpu_reading smp;
            if (l == 0 || parse_line(p, l, name, line, &smp, err, errlen) != 0) {
                if (l == 0)
                    fail(err, errlen, name, line, "an empty line");
                tdm_gpu_samples_free(out);
                return -1;
            }
            if (out->n && smp.t_ns < out->s[out->n - 1].t_ns) {
                tdm_gpu_samples_free(out);
                return fail(err, errlen, name, line, "t_mono_ns goes back in time");
            }
            if (out->n == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 256;
                tdm_gpu_reading *ns = realloc(out->s, nc * sizeof *ns);
                if (!ns) {
                    tdm_gpu_samples_free(out);
                    snprintf(err, errlen, "%s: out of memory", name);
                    return -1;
                }
                out->s = ns;
                out->cap = nc;
            }
            out->s[out->n++] = smp;
            add_gpu(out, smp.gpu);
        }
        p = nl ? nl + 1 : end;
    }
    if (line == 0)
        return fail(err, errlen, name, 1, "the file is empty");
    return 0;
}

int tdm_gpu_samples_load(const char *path, tdm_gpu_samples *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *nb = (long)nc > MAX_FILE + 1 ? NULL : realloc(buf, nc);
            if (!nb) {
                snprintf(err, errlen, "%s: larger than 1 GiB or out of memory", path);
                rc = -1;
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: read error", path);
                rc = -1;
            }
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = tdm_gpu_samples_parse(buf ? buf : "", len, path, out, err, errlen);
    free(buf);
    return rc;
}

void tdm_gpu_samples_free(tdm_gpu_samples *s)
{
    free(s->s);
    memset(s, 0, sizeof *s);
}

/* ---- a span ------------------------------------------------------------------------------- */

/* One GPU's series of one quantity: the samples that have it. */
typedef struct series {
    const int64_t *t;
    const double *y;
    size_t n;
} series;

/* The value at x: linear between samples, constant beyond the ends; a repeated time takes
 * the later sample. */
static double value_at(const series *s, int64_t x)
{
    if (x <= s->t[0])
        return s->y[0];
    if (x >= s->t[s->n - 1])
        return s->y[s->n - 1];
    size_t lo = 0, hi = s->n - 1; /* t[lo] < x < t[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (s->t[lo] == x)
        return s->y[lo];
    double w = (double)(x - s->t[lo]) / (double)(s->t[hi] - s->t[lo]);
    return s->y[lo] + w * (s->y[hi] - s->y[lo]);
}

/* The integral over [a, b] in value x seconds; exact for the piecewise-linear series. */
static double integrate(const series *s, int64_t a, int64_t b)
{
    double sum = 0, ya = value_at(s, a);
    int64_t xa = a;
    for (size_t i = 0; i <= s->n; i++) {
        int64_t xb;
        double yb;
        if (i < s->n) {
            if (s->t[i] <= xa || s->t[i] >= b)
                continue;
            xb = s->t[i];
            yb = value_at(s, xb);
        } else {
            xb = b;
            yb = value_at(s, b);
        }
        sum += 0.5 * (ya + yb) * (double)(xb - xa) / 1e9;
        xa = xb;
        ya = yb;
    }
    return sum;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The series of field k (0 util, 1 power, 2 energy) of one GPU, into t and y. */
static size_t pick(const tdm_gpu_samples *s, int gpu, int k, int64_t *t, double *y)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const tdm_gpu_reading *x = &s->s[i];
        double v = k == 0 ? x->util_pct : k == 1 ? x->power_w : x->energy_mj;
        if (x->gpu != gpu || isnan(v))
            continue;
        t[n] = x->t_ns;
        y[n++] = v;
    }
    return n;
}

/* The counter's energy in J when it can be used: every sample of the GPU from the last at
 * or before t0 to the first at or after t1 has energy_mj, and it never decreases. */
static double counter_energy(const tdm_gpu_samples *s, int gpu, int64_t t0, int64_t t1, const series *e)
{
    size_t first = SIZE_MAX, last = SIZE_MAX;
    for (size_t i = 0; i < s->n; i++) {
        if (s->s[i].gpu != gpu)
            continue;
        if (s->s[i].t_ns <= t0)
            first = i;
        if (s->s[i].t_ns >= t1 && last == SIZE_MAX)
            last = i;
    }
    if (first == SIZE_MAX || last == SIZE_MAX)
        return NAN; /* the span is not bracketed: no counter value to interpolate */
    double prev = -INFINITY;
    for (size_t i = first; i <= last; i++) {
        if (s->s[i].gpu != gpu)
            continue;
        double v = s->s[i].energy_mj;
        if (isnan(v) || v < prev)
            return NAN;
        prev = v;
    }
    return (value_at(e, t1) - value_at(e, t0)) / 1000.0;
}

static void span_gpu(const tdm_gpu_samples *s, int gpu, int64_t t0, int64_t t1, int64_t *t, double *y,
                     tdm_gpu_span_gpu *g)
{
    memset(g, 0, sizeof *g);
    g->gpu = gpu;
    g->util_pct = g->energy_j = g->interval_s = NAN;
    size_t n = 0;
    int64_t first = 0, last = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->s[i].gpu != gpu)
            continue;
        if (n == 0)
            first = s->s[i].t_ns;
        last = s->s[i].t_ns;
        t[n++] = s->s[i].t_ns;
        g->n_samples += s->s[i].t_ns >= t0 && s->s[i].t_ns <= t1;
    }
    if (t1 <= t0) {
        g->reason = TDM_GPU_EMPTY_SPAN;
        return;
    }
    if (n < 2) {
        g->reason = TDM_GPU_NO_SAMPLES;
        return;
    }
    for (size_t i = 0; i + 1 < n; i++)
        t[i] = t[i + 1] - t[i];
    qsort(t, n - 1, sizeof *t, cmp_i64);
    int64_t iv = (n - 1) % 2 ? t[(n - 1) / 2] : t[(n - 1) / 2 - 1] / 2 + t[(n - 1) / 2] / 2;
    g->interval_s = (double)iv / 1e9;
    if (first > t0 && first - t0 > 2 * iv) {
        g->reason = TDM_GPU_START_UNCOVERED;
        return;
    }
    if (last < t1 && t1 - last > 2 * iv) {
        g->reason = TDM_GPU_END_UNCOVERED;
        return;
    }
    series sr = {t, y, pick(s, gpu, 0, t, y)};
    if (sr.n)
        g->util_pct = integrate(&sr, t0, t1) / ((double)(t1 - t0) / 1e9);
    sr.n = pick(s, gpu, 2, t, y);
    if (sr.n) {
        g->energy_j = counter_energy(s, gpu, t0, t1, &sr);
        if (!isnan(g->energy_j)) {
            g->method = TDM_GPU_ENERGY_COUNTER;
            return;
        }
    }
    sr.n = pick(s, gpu, 1, t, y);
    if (sr.n == 0) {
        g->reason = TDM_GPU_NO_POWER;
        return;
    }
    g->energy_j = integrate(&sr, t0, t1);
    g->method = TDM_GPU_ENERGY_TRAPEZOID;
}

int tdm_gpu_span_compute(const tdm_gpu_samples *s, int64_t t0_ns, int64_t t1_ns, tdm_gpu_span *out)
{
    memset(out, 0, sizeof *out);
    out->t0_ns = t0_ns;
    out->t1_ns = t1_ns;
    out->util_pct = out->energy_j = NAN;
    out->reason = TDM_GPU_NO_SAMPLES;
    if (!s || s->n == 0)
        return 0;
    int64_t *t = malloc(s->n * sizeof *t);
    double *y = malloc(s->n * sizeof *y);
    if (!t || !y) {
        free(t);
        free(y);
        return -1;
    }
    double util = 0, energy = 0;
    out->reason = TDM_GPU_OK;
    for (size_t k = 0; k < s->n_gpus; k++) {
        tdm_gpu_span_gpu *g = &out->gpu[k];
        span_gpu(s, s->gpus[k], t0_ns, t1_ns, t, y, g);
        out->n_samples += g->n_samples;
        util += g->util_pct;
        energy += g->energy_j;
        if (g->reason != TDM_GPU_OK && out->reason == TDM_GPU_OK)
            out->reason = g->reason;
        if (k == 0)
            out->method = g->method;
        else if (out->method != g->method)
            out->method = TDM_GPU_ENERGY_MIXED;
    }
    out->n_gpus = s->n_gpus;
    out->util_pct = util / (double)s->n_gpus;
    out->energy_j = energy;
    if (isnan(energy))
        out->method = TDM_GPU_ENERGY_NONE;
    free(t);
    free(y);
    return 0;
}

const char *tdm_gpu_energy_method_name(tdm_gpu_energy_method m)
{
    switch (m) {
    case TDM_GPU_ENERGY_COUNTER:
        return "counter";
    case TDM_GPU_ENERGY_TRAPEZOID:
        return "trapezoid";
    case TDM_GPU_ENERGY_MIXED:
        return "mixed";
    default:
        return "none";
    }
}

const char *tdm_gpu_reason_text(tdm_gpu_reason r)
{
    switch (r) {
    case TDM_GPU_OK:
        return "measured";
    case TDM_GPU_EMPTY_SPAN:
        return "the span is empty (it ends where it starts)";
    case TDM_GPU_NO_SAMPLES:
        return "fewer than two samples of the GPU, so no sampling interval";
    case TDM_GPU_START_UNCOVERED:
        return "the samples start more than 2 sampling intervals after the span begins";
    case TDM_GPU_END_UNCOVERED:
        return "the samples end more than 2 sampling intervals before the span ends";
    case TDM_GPU_NO_POWER:
        return "no sample in the file has power_w or a usable energy_mj";
    }
    return "unknown";
}
