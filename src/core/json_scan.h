/* json_scan.h — a tree-free JSON scanner for the hot per-token paths of the reply parsers
 * (ollama_fastline.c for Ollama's lines, openai_fastchunk.c for OpenAI's events).
 *
 * Why our own scanner next to jansson: every streamed token is one small JSON object, and
 * building a jansson tree for it (an allocation per member, a hash table per object) cost
 * more than everything else the client does per token. These pieces walk the bytes once,
 * keep spans of the strings a parser wants and skip the rest, allocating nothing.
 *
 * Every scanner here is deliberately partial: it returns false not only on invalid JSON
 * but on anything where jansson (JSON_DECODE_ANY | JSON_ALLOW_NUL) might yield another
 * value or refuse: an exponent or an integer of more than TDM_JSCAN_MAX_INT_DIGITS digits,
 * nesting deeper than TDM_JSCAN_MAX_DEPTH, a lone surrogate, invalid UTF-8, a control byte
 * in a string. A parser built on them declines such input and leaves it to its jansson
 * path, so the two paths cannot differ in results or error messages. */
#ifndef TDM_JSON_SCAN_H
#define TDM_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Nesting the skipper follows before declining; the replies we read nest a few levels,
 * jansson allows 2048. */
#define TDM_JSCAN_MAX_DEPTH 64
/* Integers with more digits may not fit jansson's json_int_t: left to it. */
#define TDM_JSCAN_MAX_INT_DIGITS 18

typedef struct tdm_jscan {
    const unsigned char *p;
    const unsigned char *end;
} tdm_jscan;

/* A string's raw bytes between its quotes, and whether decoding has work to do. */
typedef struct tdm_jspan {
    const unsigned char *s;
    size_t len;
    bool escaped;
} tdm_jspan;

static inline void tdm_jscan_ws(tdm_jscan *c)
{
    /* Every JSON space is at most ' ', and servers write few: one test, usually. */
    while (c->p < c->end && *c->p <= ' ' &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* True when c is at byte ch (after whitespace), which is consumed. */
static inline bool tdm_jscan_eat(tdm_jscan *c, unsigned char ch)
{
    tdm_jscan_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* True when the scan has consumed everything but trailing whitespace (jansson refuses
 * anything after the value). */
bool tdm_jscan_at_end(tdm_jscan *c);

/* Scans the string whose opening quote c is at. */
bool tdm_jscan_string(tdm_jscan *c, tdm_jspan *out);
/* Scans an object key and its ':'; declines an escaped key (jansson decodes it, and a
 * parser compares keys raw). */
bool tdm_jscan_key(tdm_jscan *c, tdm_jspan *key);
/* A JSON number. *digits_only is set for a plain non-negative integer, whose value goes
 * to *value. Declines exponents and long integers. */
bool tdm_jscan_number(tdm_jscan *c, bool *digits_only, int64_t *value);
/* The literal lit (n bytes: "true", "false", "null") at c, consumed. */
bool tdm_jscan_literal(tdm_jscan *c, const char *lit, size_t n);
/* Skips one value of any type; depth is the nesting it lies at. */
bool tdm_jscan_skip(tdm_jscan *c, int depth);
/* One member of an object for tdm_jscan_members: c is at its value, which it consumes. */
typedef bool (*tdm_jscan_member_fn)(tdm_jscan *c, const tdm_jspan *key, void *ctx);
/* A member that must be a string or null: *present says which; text holds the string. */
bool tdm_jscan_text(tdm_jscan *c, tdm_jspan *text, bool *present);

/* Calls member for each member of an object whose '{' c has consumed, with the key read
 * (tdm_jscan_key), through the closing '}'. False when member returns false or the object
 * is not well formed. Inline, so that a parser's member function is called directly (and
 * inlined) on the per-token path rather than through a pointer. */
static inline bool tdm_jscan_members(tdm_jscan *c, tdm_jscan_member_fn member, void *ctx)
{
    if (tdm_jscan_eat(c, '}'))
        return true;
    for (;;) {
        tdm_jspan key;
        if (!tdm_jscan_key(c, &key) || !member(c, &key, ctx))
            return false;
        if (tdm_jscan_eat(c, '}'))
            return true;
        if (!tdm_jscan_eat(c, ','))
            return false;
    }
}

static inline bool tdm_jspan_is(const tdm_jspan *k, const char *name, size_t n)
{
    return k->len == n && memcmp(k->s, name, n) == 0;
}
#define TDM_JSPAN_IS(k, lit) tdm_jspan_is((k), (lit), sizeof(lit) - 1)

/* Decodes a span tdm_jscan_string accepted into d (room for s->len bytes: decoding never
 * lengthens a string). Returns the decoded length. */
size_t tdm_jspan_decode(const tdm_jspan *s, unsigned char *d);
/* Heap copy of a decoded string, NUL-terminated; NULL when out of memory. */
char *tdm_jspan_dup(const tdm_jspan *s, size_t *len);
/* A label (done_reason, model, finish_reason): decoded, then cut to cap - 1 bytes as the
 * jansson paths cut it. False when out of memory. */
bool tdm_jspan_label(const tdm_jspan *s, char *dst, size_t cap);

#endif
