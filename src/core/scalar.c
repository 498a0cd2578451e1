/* scalar.c — strict scalar parsing (see scalar.h). */
#include "core/scalar.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool all_digits(const char *p)
{
    if (!*p)
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

bool tdm_scalar_i64(const char *s, int64_t *out)
{
    if (!all_digits(s + (*s == '-' || *s == '+')))
        return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

bool tdm_scalar_u64(const char *s, uint64_t *out)
{
    const char *p = s + (*s == '+');
    if (!all_digits(p))
        return false;
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

bool tdm_scalar_double(const char *s, double *out)
{
    bool digit = false;
    for (const char *q = s; *q; q++) {
        if (*q >= '0' && *q <= '9')
            digit = true;
        else if (!strchr("+-.eE", *q))
            return false;
    }
    if (!digit)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool tdm_scalar_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

const char *tdm_scalar_plain(char *buf, size_t len, double v)
{
    if (v == floor(v) && fabs(v) < 1e18)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%g", v);
    return buf;
}
