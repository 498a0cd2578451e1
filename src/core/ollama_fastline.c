/* ollama_fastline.c — the tree-free path of the Ollama line parser (see ollama_proto.h).
 *
 * Why our own reader next to jansson: every streamed token is one JSON line, and building
 * a jansson tree for it (an allocation per member, a hash table per object) was about
 * 40% of the client's CPU per token in profiles of the calibration runs. This reader
 * walks a line once, keeps only the members the record needs and skips the rest,
 * including the final line's long "context" array, without allocating anything but
 * the text it returns.
 *
 * It is deliberately partial. It accepts a line only when it is sure jansson (with
 * JSON_DECODE_ANY | JSON_ALLOW_NUL) would accept it and yield the same values; on
 * anything else it declines and the tree path decides, so results and error messages
 * cannot differ: an "error" member, a member of an unexpected type, a known member
 * given twice (jansson keeps the last one), an escaped object key, an exponent or an
 * integer of more than 18 digits (jansson refuses numbers it cannot represent), deep
 * nesting, a lone surrogate, invalid UTF-8, a control byte in a string, or any syntax
 * error. A differential unit test holds the two paths to that promise. */
#include "core/ollama_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/utf8.h"

/* Nesting below the top-level object the skipper follows before declining; Ollama's
 * lines nest two levels ("message" -> "tool_calls" -> ...), jansson allows 2048. */
#define MAX_SKIP_DEPTH 64
/* Integers with more digits may not fit jansson's json_int_t: leave them to it. */
#define MAX_INT_DIGITS 18

typedef struct cursor {
    const unsigned char *p;
    const unsigned char *end;
} cursor;

/* A string's raw bytes between its quotes, and whether decoding has work to do. */
typedef struct span {
    const unsigned char *s;
    size_t len;
    bool escaped;
} span;

/* Where a known member's value was found, for the text members read after the walk. */
typedef struct found {
    span text;
    bool present; /* present and not null */
} found;

static inline void skip_ws(cursor *c)
{
    /* Every JSON space is at most ' ', and Ollama writes none: one test, usually. */
    while (c->p < c->end && *c->p <= ' ' &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* True when c is at byte ch (after whitespace), which is consumed. */
static inline bool eat(cursor *c, unsigned char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

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
static bool scan_string(cursor *c, span *out)
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
            *out = (span){start, (size_t)(p - start), escaped};
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

/* Decodes a span scan_string accepted into d (room for s->len bytes: decoding never
 * lengthens a string, "\uXXXX" is 6 bytes for at most 3, a pair 12 for 4). Returns
 * the decoded length. */
static size_t decode(const span *s, unsigned char *d)
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
        size_t n = unicode_escape(p + 1, end, &cp); /* validated by scan_string */
        o += put_utf8(d + o, cp);
        p += 1 + n;
    }
    return o;
}

/* Heap copy of a decoded string, NUL-terminated; NULL when out of memory. */
static char *decode_dup(const span *s, size_t *len)
{
    unsigned char *d = malloc(s->len + 1);
    if (!d)
        return NULL;
    *len = decode(s, d);
    d[*len] = '\0';
    return (char *)d;
}

/* A label field (done_reason, model): decoded, then cut to cap - 1 bytes as the tree
 * path cuts it. */
static bool decode_label(const span *s, char *dst, size_t cap)
{
    unsigned char small[256];
    unsigned char *d = s->len <= sizeof small ? small : malloc(s->len);
    if (!d)
        return false;
    size_t n = decode(s, d);
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
static bool scan_number(cursor *c, bool *digits_only, int64_t *value)
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
    if (ndigits > MAX_INT_DIGITS)
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

static bool match_literal(cursor *c, const char *lit, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool skip_value(cursor *c, int depth);

/* Skips the members of an object or the elements of an array, opening byte consumed. */
static bool skip_container(cursor *c, unsigned char close, int depth)
{
    if (depth > MAX_SKIP_DEPTH)
        return false;
    if (eat(c, close))
        return true;
    for (;;) {
        if (close == '}') {
            span key;
            skip_ws(c);
            if (c->p >= c->end || *c->p != '"' || !scan_string(c, &key) || key.escaped || !eat(c, ':'))
                return false;
        }
        if (!skip_value(c, depth + 1))
            return false;
        if (eat(c, close))
            return true;
        if (!eat(c, ','))
            return false;
    }
}

static bool skip_value(cursor *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return false;
    span s;
    bool digits_only;
    int64_t v;
    switch (*c->p) {
    case '"': return scan_string(c, &s);
    case '{': c->p++; return skip_container(c, '}', depth);
    case '[': c->p++; return skip_container(c, ']', depth);
    case 't': return match_literal(c, "true", 4);
    case 'f': return match_literal(c, "false", 5);
    case 'n': return match_literal(c, "null", 4);
    default: return scan_number(c, &digits_only, &v);
    }
}

/* A member that must be a string or null. */
static bool read_text(cursor *c, found *f)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == '"') {
        f->present = true;
        return scan_string(c, &f->text);
    }
    f->present = false;
    return match_literal(c, "null", 4);
}

static inline bool key_is(const span *k, const char *name, size_t n)
{
    return k->len == n && memcmp(k->s, name, n) == 0;
}
#define KEY_IS(k, lit) key_is((k), (lit), sizeof(lit) - 1)

/* Known members; a second occurrence of any of them is left to jansson. */
enum {
    M_MODEL, M_DONE_REASON, M_DONE, M_RESPONSE, M_THINKING, M_MESSAGE, M_MSG_CONTENT,
    M_MSG_THINKING, M_COUNTER0,
    M_COUNT = M_COUNTER0 + 6
};

typedef struct walk {
    unsigned seen; /* bit per M_* */
    found model, done_reason, response, thinking, msg_content, msg_thinking;
    int done;                /* -1 null, else 0/1; read only when `seen` has M_DONE */
    int64_t counters[6];     /* -1 null; each read only when `seen` has it */
} walk;

static bool first_time(walk *w, int member)
{
    if (w->seen & (1u << member))
        return false;
    w->seen |= 1u << member;
    return true;
}

/* The "message" object of a chat line, opening brace consumed. */
static bool read_message(cursor *c, walk *w)
{
    if (eat(c, '}'))
        return true;
    for (;;) {
        span key;
        skip_ws(c);
        if (c->p >= c->end || *c->p != '"' || !scan_string(c, &key) || key.escaped || !eat(c, ':'))
            return false;
        bool ok;
        if (KEY_IS(&key, "content"))
            ok = first_time(w, M_MSG_CONTENT) && read_text(c, &w->msg_content);
        else if (KEY_IS(&key, "thinking"))
            ok = first_time(w, M_MSG_THINKING) && read_text(c, &w->msg_thinking);
        else
            ok = skip_value(c, 2);
        if (!ok)
            return false;
        if (eat(c, '}'))
            return true;
        if (!eat(c, ','))
            return false;
    }
}

/* Counters as ollama_proto.c names them, in tdm_server_counters order. */
#define NAME(s) {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} counter_names[6] = {
    NAME("total_duration"),       NAME("load_duration"), NAME("prompt_eval_count"),
    NAME("prompt_eval_duration"), NAME("eval_count"),    NAME("eval_duration"),
};
#undef NAME

static int counter_index(const span *key)
{
    /* Every counter name ends in "_count" or "_duration": other keys leave at once. */
    if (key->len < 10 || (key->s[key->len - 1] != 'n' && key->s[key->len - 1] != 't'))
        return -1;
    for (int i = 0; i < 6; i++)
        if (key_is(key, counter_names[i].name, counter_names[i].len))
            return i;
    return -1;
}

/* One member value of the top-level object, its key read. */
static bool read_member(cursor *c, const span *key, walk *w)
{
    skip_ws(c);
    int ci;
    if (KEY_IS(key, "response"))
        return first_time(w, M_RESPONSE) && read_text(c, &w->response);
    if (KEY_IS(key, "done")) {
        if (!first_time(w, M_DONE))
            return false;
        w->done = -1;
        if (match_literal(c, "true", 4))
            w->done = 1;
        else if (match_literal(c, "false", 5))
            w->done = 0;
        else
            return match_literal(c, "null", 4);
        return true;
    }
    if (KEY_IS(key, "model"))
        return first_time(w, M_MODEL) && read_text(c, &w->model);
    if (KEY_IS(key, "thinking"))
        return first_time(w, M_THINKING) && read_text(c, &w->thinking);
    if (KEY_IS(key, "done_reason"))
        return first_time(w, M_DONE_REASON) && read_text(c, &w->done_reason);
    if (KEY_IS(key, "message")) {
        if (!first_time(w, M_MESSAGE))
            return false;
        if (match_literal(c, "null", 4))
            return true;
        return eat(c, '{') && read_message(c, w);
    }
    if (KEY_IS(key, "error"))
        return false; /* the tree path writes the message */
    if ((ci = counter_index(key)) >= 0) {
        if (!first_time(w, M_COUNTER0 + ci))
            return false;
        if (match_literal(c, "null", 4)) {
            w->counters[ci] = -1;
            return true;
        }
        bool digits_only;
        int64_t v;
        if (!scan_number(c, &digits_only, &v) || !digits_only)
            return false; /* negative or real: the tree path names the type */
        w->counters[ci] = v;
        return true;
    }
    return skip_value(c, 1);
}

/* Whether a text member was given, and not as null. */
static bool has(const walk *w, int member, const found *f)
{
    return (w->seen & (1u << member)) && f->present;
}

/* Moves what the walk found into out; with text, the content goes onto its end. */
static bool fill(const walk *w, tdm_ollama_line *out, tdm_buf *text)
{
    if (has(w, M_MODEL, &w->model) && !decode_label(&w->model.text, out->model, sizeof out->model))
        return false;
    if (has(w, M_DONE_REASON, &w->done_reason) &&
        !decode_label(&w->done_reason.text, out->done_reason, sizeof out->done_reason))
        return false;
    out->done = (w->seen & (1u << M_DONE)) && w->done == 1;
    /* Generate puts the text at the top level, chat inside "message"; the top level wins. */
    static const span empty = {(const unsigned char *)"", 0, false};
    const span *cs = has(w, M_RESPONSE, &w->response)       ? &w->response.text
                     : has(w, M_MSG_CONTENT, &w->msg_content) ? &w->msg_content.text
                                                              : &empty;
    const span *ts = has(w, M_THINKING, &w->thinking)         ? &w->thinking.text
                     : has(w, M_MSG_THINKING, &w->msg_thinking) ? &w->msg_thinking.text
                                                                : &empty;
    if (text) {
        /* The thinking text is decoded after the content only to learn its length. */
        unsigned char *tail = (unsigned char *)tdm_buf_tail(text, cs->len + ts->len);
        if (!tail)
            return false;
        out->content_len = decode(cs, tail);
        out->thinking_len = decode(ts, tail + out->content_len);
        tdm_buf_grow(text, out->content_len);
    } else {
        out->content = decode_dup(cs, &out->content_len);
        out->thinking = decode_dup(ts, &out->thinking_len);
        if (!out->content || !out->thinking)
            return false;
    }
    int64_t *dst[6] = {
        &out->counters.total_duration_ns, &out->counters.load_duration_ns,
        &out->counters.prompt_eval_count, &out->counters.prompt_eval_duration_ns,
        &out->counters.eval_count,        &out->counters.eval_duration_ns,
    };
    for (int i = 0; i < 6; i++)
        *dst[i] = (w->seen & (1u << (M_COUNTER0 + i))) ? w->counters[i] : -1;
    return true;
}

static bool parse(const char *line, size_t len, tdm_ollama_line *out, tdm_buf *text)
{
    /* Field by field rather than memset: this runs once per token, and clearing the
     * label arrays whole cost more than reading the line. */
    out->done = false;
    out->content = out->thinking = out->error = NULL;
    out->content_len = out->thinking_len = 0;
    out->done_reason[0] = out->model[0] = '\0';
    tdm_server_counters_init(&out->counters);
    cursor c = {(const unsigned char *)line, (const unsigned char *)line + len};
    walk w; /* only what `seen` marks is read */
    w.seen = 0;

    if (!eat(&c, '{'))
        return false;
    if (!eat(&c, '}')) {
        for (;;) {
            span key;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != '"' || !scan_string(&c, &key) || key.escaped ||
                !eat(&c, ':') || !read_member(&c, &key, &w))
                return false;
            if (eat(&c, '}'))
                break;
            if (!eat(&c, ','))
                return false;
        }
    }
    skip_ws(&c);
    if (c.p != c.end)
        return false; /* jansson refuses anything after the value */
    if (!fill(&w, out, text)) {
        tdm_ollama_line_clear(out);
        return false;
    }
    return true;
}

bool tdm_ollama_parse_fast(const char *line, size_t len, tdm_ollama_line *out)
{
    return parse(line, len, out, NULL);
}

bool tdm_ollama_parse_fast_append(const char *line, size_t len, tdm_ollama_line *out, tdm_buf *text)
{
    return parse(line, len, out, text);
}
