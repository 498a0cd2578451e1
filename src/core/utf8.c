/* utf8.c — UTF-8 decoding, validation and repair (see utf8.h). Follows RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t tdm_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* C0, C1 lead only overlong forms and F5..F7 only values past U+10FFFF: the range
     * checks refuse them without a table. */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

size_t tdm_utf8_seq_len(const unsigned char *s, size_t left)
{
    uint32_t cp;
    return s[0] ? tdm_utf8_decode(s, left, &cp) : 0;
}

bool tdm_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = tdm_utf8_seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *tdm_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
    /* Each bad byte becomes 3 bytes at most. */
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = tdm_utf8_seq_len(p + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void tdm_utf8_excerpt(const char *text, size_t len, size_t max, bool fold_space, char *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0;
    while (fold_space && i < len && is_space(s[i]))
        i++;
    while (i < len) {
        if (fold_space && is_space(s[i])) {
            while (i < len && is_space(s[i]))
                i++;
            if (i == len || o + 1 > max)
                break;
            out[o++] = ' ';
            continue;
        }
        size_t k = tdm_utf8_seq_len(s + i, len - i);
        if (o + (k ? k : 1) > max)
            break;
        if (k == 0 || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
