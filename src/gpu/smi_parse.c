/* smi_parse.c — parsing nvidia-smi's CSV lines and banner (see smi_parse.h). */
#include "gpu/smi_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 1024
#define MAX_FIELDS 32

/* Splits a copy of line (in buf) at commas into trimmed fields; returns their count,
 * or -1 when the line is too long or has too many fields. */
static int split(const char *line, char *buf, char **f)
{
    size_t len = strlen(line);
    if (len >= MAX_LINE)
        return -1;
    memcpy(buf, line, len + 1);
    int n = 0;
    char *p = buf;
    for (;;) {
        if (n == MAX_FIELDS)
            return -1;
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (isspace((unsigned char)*p))
            p++;
        char *end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1]))
            *--end = '\0';
        f[n++] = p;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

/* A number, optionally followed by one of nvidia-smi's units ("71.23 W", "35 %"); 0 with *v set, or -1
 * for "[N/A]", "[Not Supported]", empty or anything else that is not a number. */
static int number(const char *s, double *v)
{
    if (*s == '\0' || *s == '[' || isalpha((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(d))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    static const char *const units[] = {"", "%", "W", "MiB", "MHz", "C", NULL};
    for (int k = 0; units[k]; k++)
        if (strcmp(end, units[k]) == 0) {
            *v = d;
            return 0;
        }
    return -1;
}

/* A whole number in [0, max]; -1 otherwise. */
static int whole(const char *s, double max, double *v)
{
    double d;
    if (number(s, &d) != 0 || d < 0 || d > max || d != floor(d))
        return -1;
    *v = d;
    return 0;
}

int tdm_gpu_smi_parse_sample(const char *line, tdm_gpu_sample *s)
{
    char buf[MAX_LINE], *f[MAX_FIELDS];
    double v;
    memset(s, 0, sizeof *s);
    if (split(line, buf, f) != 6 || whole(f[0], 65535, &v) != 0)
        return -1;
    s->gpu = (unsigned)v;
    if (number(f[1], &v) == 0 && v >= 0 && v <= 100) {
        s->have |= TDM_GPU_HAVE_UTIL;
        s->util_pct = (unsigned)lround(v);
    }
    if (number(f[2], &v) == 0 && v >= 0 && v < 9e15) {
        s->have |= TDM_GPU_HAVE_MEM;
        s->mem_used_mib = (uint64_t)llround(v);
    }
    if (number(f[3], &v) == 0 && v >= 0 && v < 1e9) {
        s->have |= TDM_GPU_HAVE_POWER;
        s->power_w = v;
    }
    if (number(f[4], &v) == 0 && v >= 0 && v < 1e9) {
        s->have |= TDM_GPU_HAVE_CLOCK;
        s->sm_clock_mhz = (unsigned)lround(v);
    }
    if (number(f[5], &v) == 0 && v > -300 && v < 1000) {
        s->have |= TDM_GPU_HAVE_TEMP;
        s->temp_c = (int)lround(v);
    }
    return 0;
}

/* A text value, or "" for nvidia-smi's bracketed "[N/A]"-style placeholders. */
static void text(const char *s, char *dst, size_t cap)
{
    snprintf(dst, cap, "%s", (*s == '[' || strcmp(s, "N/A") == 0) ? "" : s);
}

int tdm_gpu_smi_parse_dev(const char *line, tdm_gpu_dev *g, char *driver, size_t cap)
{
    char buf[MAX_LINE], *f[MAX_FIELDS];
    double v;
    memset(g, 0, sizeof *g);
    int n = split(line, buf, f);
    if (n < 7 || whole(f[0], 65535, &v) != 0)
        return -1;
    g->index = (unsigned)v;
    /* A name with commas in it spans several fields; the five after it are fixed. */
    char name[sizeof g->name] = "";
    size_t at = 0;
    for (int k = 1; k < n - 5 && at < sizeof name; k++)
        at += (size_t)snprintf(name + at, sizeof name - at, "%s%s", k > 1 ? ", " : "", f[k]);
    text(name, g->name, sizeof g->name);
    text(f[n - 5], g->uuid, sizeof g->uuid);
    if (number(f[n - 4], &v) == 0 && v >= 0 && v < 9e15) {
        g->have_memory_total = 1;
        g->memory_total_mib = (uint64_t)llround(v);
    }
    if (number(f[n - 3], &v) == 0 && v >= 0)
        text(f[n - 3], g->compute_cap, sizeof g->compute_cap);
    if (number(f[n - 2], &v) == 0 && v >= 0 && v < 1e9) {
        g->have_power_limit = 1;
        g->power_limit_w = v;
    }
    text(f[n - 1], driver, cap);
    return 0;
}

int tdm_gpu_smi_cuda_version(const char *text_in, char *out, size_t cap)
{
    const char *p = strstr(text_in, "CUDA Version:");
    if (!p)
        return -1;
    p += strlen("CUDA Version:");
    while (*p == ' ')
        p++;
    size_t n = 0;
    while ((isdigit((unsigned char)p[n]) || p[n] == '.') && n < 15)
        n++;
    if (n == 0 || !isdigit((unsigned char)p[0]))
        return -1;
    snprintf(out, cap, "%.*s", (int)n, p);
    return 0;
}
