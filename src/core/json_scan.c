/* json_scan.c — the tree-free JSON scanner of the per-token reply parsers (see
 * json_scan.h for why it exists and what it declines). */
#include "core/json_scan.h"

#include <stdlib.h>

#include "core/hex.h"
#include "core/utf8.h"

/* Reads the 4 hex digits of a \u escape at p (end bounds it). Returns the code unit or -1. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = tdm_hex_digit(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Validates one "\u" escape at p (pointing at the 'u') with its surrogate pair, if any.
 * Returns the bytes it spans after the backslash, 0 when jansson would refuse it. */
static size_t unicode_escape(const unsigned char *p, const unsigned char *end, long *cp)
{
    long v = hex4(p + 1, end);
    if (v < 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return 0;
    if (v < 0xD800 || v > 0xDBFF) {
        *cp = v;
        return 5;
    }
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u')
        return 0;
    long lo = hex4(p + 7, end);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
    return 11;
}

/* Whether the string scanner must look closer at byte ch: the closing quote, an
 * escape, control bytes (refused) and the bytes of multi-byte UTF-8 (validated). The
 * subtraction folds "below 0x20" and "0x80 and up" into one unsigned comparison. */
static inline bool needs_look(unsigned char ch)
{
    return (unsigned char)(ch - 0x20) >= 0x60 || ch == '"' || ch == '\\';
}

/* needs_look for eight bytes at once, with the classic word tricks: (v - 0x01..) & ~v
 * sets a byte's top bit where v had a zero byte (here: x equal to '"' or '\\'), the same
 * with 0x20..  where x had a byte below 0x20, and x itself where a byte is 0x80 or more.
 * Borrows can only mark bytes above a real hit, so the lowest mark is exact. */
static inline uint64_t look_marks(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high;
}

/* How many bytes from p on need no look: eight at a time, then the exact byte. */
static inline size_t plain_run(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *s = p;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t marks = look_marks(x);
        if (marks) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return (size_t)(p - s) + (size_t)(__builtin_ctzll(marks) >> 3); /* lowest mark */
#else
            break;
#endif
        }
        p += 8;
    }
    while (p < end && !needs_look(*p))
        p++;
    return (size_t)(p - s);
}

/* Scans a string whose opening quote c is at. Returns false on anything jansson refuses. */
bool tdm_jscan_string(tdm_jscan *c, tdm_jspan *out)
{
    const unsigned char *p = c->p + 1, *end = c->end;
    const unsigned char *start = p;
    bool escaped = false;
    while (p < end) {
        p += plain_run(p, end); /* the bulk of every string */
        if (p == end)
            break;
        unsigned char ch = *p;
        if (ch == '"') {
            *out = (tdm_jspan){start, (size_t)(p - start), escaped};
            c->p = p + 1;
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (end - p < 2)
                return false;
            escaped = true;
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u': {
                long cp;
                size_t n = unicode_escape(p + 1, end, &cp);
                if (n == 0)
                    return false;
                p += 1 + n;
                break;
            }
            default:
                return false;
            }
        } else { /* 0x80 and up: the only byte needs_look leaves */
            size_t n = tdm_utf8_seq_len(p, (size_t)(end - p));
            if (n == 0)
                return false;
            p += n;
        }
    }
    return false;
}

static size_t put_utf8(unsigned char *d, long cp)
{
    if (cp < 0x80) {
        d[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (unsigned char)(0xC0 | (cp >> 6));
        d[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xE0 | (cp >> 12));
        d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (unsigned char)(0xF0 | (cp >> 18));
    d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a span tdm_jscan_string accepted into d (room for s->len bytes: decoding never
 * lengthens a string, "\uXXXX" is 6 bytes for at most 3, a pair 12 for 4). Returns
 * the decoded length. */
size_t tdm_jspan_decode(const tdm_jspan *s, unsigned char *d)
{
    if (!s->escaped) {
        memcpy(d, s->s, s->len);
        return s->len;
    }
    const unsigned char *p = s->s, *end = s->s + s->len;
    size_t o = 0;
    while (p < end) {
        if (*p != '\\') {
            d[o++] = *p++;
            continue;
        }
        unsigned char e = p[1];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            d[o++] = (unsigned char)to[k - from];
            p += 2;
            continue;
        }
        long cp = 0;
        size_t n = unicode_escape(p + 1, end, &cp); /* validated by tdm_jscan_string */
        o += put_utf8(d + o, cp);
        p += 1 + n;
    }
    return o;
}

/* Heap copy of a decoded string, NUL-terminated; NULL when out of memory. */
char *tdm_jspan_dup(const tdm_jspan *s, size_t *len)
{
    unsigned char *d = malloc(s->len + 1);
    if (!d)
        return NULL;
    *len = tdm_jspan_decode(s, d);
    d[*len] = '\0';
    return (char *)d;
}

/* A label field (done_reason, model): decoded, then cut to cap - 1 bytes as the tree
 * path cuts it. */
bool tdm_jspan_label(const tdm_jspan *s, char *dst, size_t cap)
{
    unsigned char small[256];
    unsigned char *d = s->len <= sizeof small ? small : malloc(s->len);
    if (!d)
        return false;
    size_t n = tdm_jspan_decode(s, d);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, d, n);
    dst[n] = '\0';
    if (d != small)
        free(d);
    return true;
}

/* Scans a JSON number. *digits_only is set for a plain non-negative integer, whose
 * value goes to *value. Declines (false) on exponents and long integers. */
bool tdm_jscan_number(tdm_jscan *c, bool *digits_only, int64_t *value)
{
    const unsigned char *p = c->p, *end = c->end;
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        p++;
    }
    const unsigned char *int_start = p;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return false; /* leading zero */
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t ndigits = (size_t)(p - int_start);
    if (ndigits > TDM_JSCAN_MAX_INT_DIGITS)
        return false;
    bool fraction = false;
    if (p < end && *p == '.') {
        fraction = true;
        p++;
        const unsigned char *f = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        return false; /* a real that may overflow in jansson's strtod */
    *digits_only = !negative && !fraction;
    if (*digits_only) {
        int64_t v = 0;
        for (const unsigned char *q = int_start; q < p; q++)
            v = v * 10 + (*q - '0');
        *value = v;
    }
    c->p = p;
    return true;
}

bool tdm_jscan_literal(tdm_jscan *c, const char *lit, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* Skips the members of an object or the elements of an array, opening byte consumed. */
static bool skip_container(tdm_jscan *c, unsigned char close, int depth)
{
    if (depth > TDM_JSCAN_MAX_DEPTH)
        return false;
    if (tdm_jscan_eat(c, close))
        return true;
    for (;;) {
        if (close == '}') {
            tdm_jspan key;
            if (!tdm_jscan_key(c, &key))
                return false;
        }
        if (!tdm_jscan_skip(c, depth + 1))
            return false;
        if (tdm_jscan_eat(c, close))
            return true;
        if (!tdm_jscan_eat(c, ','))
            return false;
    }
}

bool tdm_jscan_skip(tdm_jscan *c, int depth)
{
    tdm_jscan_ws(c);
    if (c->p >= c->end)
        return false;
    tdm_jspan s;
    bool digits_only;
    int64_t v;
    switch (*c->p) {
    case '"': return tdm_jscan_string(c, &s);
    case '{': c->p++; return skip_container(c, '}', depth);
    case '[': c->p++; return skip_container(c, ']', depth);
    case 't': return tdm_jscan_literal(c, "true", 4);
    case 'f': return tdm_jscan_literal(c, "false", 5);
    case 'n': return tdm_jscan_literal(c, "null", 4);
    default: return tdm_jscan_number(c, &digits_only, &v);
    }
}

bool tdm_jscan_key(tdm_jscan *c, tdm_jspan *key)
{
    /* An escaped key is declined: jansson decodes it (and refuses "\u0000" in a key),
     * while the parsers compare keys as written. */
    tdm_jscan_ws(c);
    return c->p < c->end && *c->p == '"' && tdm_jscan_string(c, key) && !key->escaped && tdm_jscan_eat(c, ':');
}

bool tdm_jscan_text(tdm_jscan *c, tdm_jspan *text, bool *present)
{
    tdm_jscan_ws(c);
    if (c->p < c->end && *c->p == '"') {
        *present = true;
        return tdm_jscan_string(c, text);
    }
    *present = false;
    return tdm_jscan_literal(c, "null", 4);
}

bool tdm_jscan_at_end(tdm_jscan *c)
{
    tdm_jscan_ws(c);
    return c->p == c->end;
}
