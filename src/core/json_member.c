/* json_member.c — what the jansson-based reply parsers share (see json_member.h). */
#include "core/json_member.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

int tdm_json_fail(const char *what, const char *data, size_t len, char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return -1;
    char quote[TDM_JSON_QUOTE_MAX + 4];
    tdm_utf8_excerpt(data, len, TDM_JSON_QUOTE_MAX, false, quote);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < errlen)
        snprintf(err + n, errlen - (size_t)n, "; %s: %s", what, quote);
    return -1;
}

const char *tdm_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "of an unknown type";
}

char *tdm_json_dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void tdm_json_copy_label(char *dst, size_t cap, const json_t *s)
{
    size_t n = json_string_length(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, json_string_value(s), n);
    dst[n] = '\0';
}
