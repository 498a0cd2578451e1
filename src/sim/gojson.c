/* gojson.c — Go's encoding/json scanner (scanner.go) and Decoder.readValue, reduced to
 * what decides a request's fate: where the first value ends, and the exact words of a
 * syntax error (see gojson.h). */
#include "sim/gojson.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go: maxNestingDepth. */
#define MAX_DEPTH 10000

enum state {
    S_BEGIN_VALUE, S_BEGIN_VALUE_OR_EMPTY, S_BEGIN_STRING_OR_EMPTY, S_BEGIN_STRING,
    S_END_VALUE, S_END_TOP, S_IN_STRING, S_IN_STRING_ESC, S_ESC_U, S_ESC_U1, S_ESC_U12,
    S_ESC_U123, S_NEG, S_1, S_0, S_DOT, S_DOT0, S_E, S_ESIGN, S_E0, S_T, S_TR, S_TRU, S_F,
    S_FA, S_FAL, S_FALS, S_N, S_NU, S_NUL
};

/* Parse states of the containers on the stack. */
enum { P_OBJECT_KEY, P_OBJECT_VALUE, P_ARRAY_VALUE };

/* What a step returns. */
enum { K_CONTINUE, K_END, K_END_CONTAINER, K_ERROR };

typedef struct scanner {
    enum state step;
    unsigned char *stack;
    size_t depth;
    char *err;
    size_t errlen;
} scanner;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's quoteChar: the byte as strconv.Quote shows the rune U+00XX, in single quotes. */
static void quote_char(unsigned char c, char *out, size_t outlen)
{
    if (c == '\'') {
        snprintf(out, outlen, "'\\''");
    } else if (c == '"') {
        snprintf(out, outlen, "'\"'");
    } else if (c == '\\') {
        snprintf(out, outlen, "'\\\\'");
    } else if (c >= 0x20 && c < 0x7f) {
        snprintf(out, outlen, "'%c'", c);
    } else if (c == '\a' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ||
               c == '\v') {
        static const char names[] = "abtnvfr"; /* \a=7 .. \r=13 */
        snprintf(out, outlen, "'\\%c'", names[c - '\a']);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(out, outlen, "'\\x%02x'", c);
    } else if (c < 0xa1 || c == 0xad) {
        /* C1 controls, no-break space and soft hyphen are not printable in Go. */
        snprintf(out, outlen, "'\\u%04x'", c);
    } else {
        snprintf(out, outlen, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    }
}

static int fail(scanner *s, unsigned char c, const char *context)
{
    char q[16];
    quote_char(c, q, sizeof q);
    snprintf(s->err, s->errlen, "invalid character %s %s", q, context);
    return K_ERROR;
}

static int push(scanner *s, unsigned char c, unsigned char p)
{
    if (s->depth >= MAX_DEPTH)
        return fail(s, c, "exceeded max depth");
    s->stack[s->depth++] = p;
    return K_CONTINUE;
}

static int step(scanner *s, unsigned char c);

static int begin_value(scanner *s, unsigned char c)
{
    if (is_space(c))
        return K_CONTINUE;
    switch (c) {
    case '{':
        s->step = S_BEGIN_STRING_OR_EMPTY;
        return push(s, c, P_OBJECT_KEY);
    case '[':
        s->step = S_BEGIN_VALUE_OR_EMPTY;
        return push(s, c, P_ARRAY_VALUE);
    case '"':
        s->step = S_IN_STRING;
        return K_CONTINUE;
    case '-':
        s->step = S_NEG;
        return K_CONTINUE;
    case '0':
        s->step = S_0;
        return K_CONTINUE;
    case 't':
        s->step = S_T;
        return K_CONTINUE;
    case 'f':
        s->step = S_F;
        return K_CONTINUE;
    case 'n':
        s->step = S_N;
        return K_CONTINUE;
    default:
        if (c >= '1' && c <= '9') {
            s->step = S_1;
            return K_CONTINUE;
        }
        return fail(s, c, "looking for beginning of value");
    }
}

static int end_value(scanner *s, unsigned char c)
{
    if (s->depth == 0) {
        s->step = S_END_TOP; /* the value ended before this byte */
        return K_END;
    }
    if (is_space(c)) {
        s->step = S_END_VALUE;
        return K_CONTINUE;
    }
    switch (s->stack[s->depth - 1]) {
    case P_OBJECT_KEY:
        if (c == ':') {
            s->stack[s->depth - 1] = P_OBJECT_VALUE;
            s->step = S_BEGIN_VALUE;
            return K_CONTINUE;
        }
        return fail(s, c, "after object key");
    case P_OBJECT_VALUE:
        if (c == ',') {
            s->stack[s->depth - 1] = P_OBJECT_KEY;
            s->step = S_BEGIN_STRING;
            return K_CONTINUE;
        }
        if (c == '}') {
            s->depth--;
            s->step = S_END_VALUE;
            return K_END_CONTAINER;
        }
        return fail(s, c, "after object key:value pair");
    default:
        if (c == ',') {
            s->step = S_BEGIN_VALUE;
            return K_CONTINUE;
        }
        if (c == ']') {
            s->depth--;
            s->step = S_END_VALUE;
            return K_END_CONTAINER;
        }
        return fail(s, c, "after array element");
    }
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A literal's next letter: want, else Go's "in literal true (expecting 'r')". */
static int literal(scanner *s, unsigned char c, char want, const char *lit, enum state next)
{
    if (c == (unsigned char)want) {
        s->step = next;
        return K_CONTINUE;
    }
    char ctx[64];
    snprintf(ctx, sizeof ctx, "in literal %s (expecting '%c')", lit, want);
    return fail(s, c, ctx);
}

static int step(scanner *s, unsigned char c)
{
    bool digit = c >= '0' && c <= '9';
    switch (s->step) {
    case S_BEGIN_VALUE:
        return begin_value(s, c);
    case S_BEGIN_VALUE_OR_EMPTY:
        if (is_space(c))
            return K_CONTINUE;
        if (c == ']')
            return end_value(s, c);
        return begin_value(s, c);
    case S_BEGIN_STRING_OR_EMPTY:
        if (is_space(c))
            return K_CONTINUE;
        if (c == '}') {
            s->stack[s->depth - 1] = P_OBJECT_VALUE;
            return end_value(s, c);
        }
        /* fall through */
    case S_BEGIN_STRING:
        if (is_space(c))
            return K_CONTINUE;
        if (c == '"') {
            s->step = S_IN_STRING;
            return K_CONTINUE;
        }
        return fail(s, c, "looking for beginning of object key string");
    case S_END_VALUE:
        return end_value(s, c);
    case S_END_TOP:
        return K_END;
    case S_IN_STRING:
        if (c == '"') {
            s->step = S_END_VALUE;
            return K_CONTINUE;
        }
        if (c == '\\') {
            s->step = S_IN_STRING_ESC;
            return K_CONTINUE;
        }
        if (c < 0x20)
            return fail(s, c, "in string literal");
        return K_CONTINUE;
    case S_IN_STRING_ESC:
        if (c && strchr("bfnrt\\/\"", c)) {
            s->step = S_IN_STRING;
            return K_CONTINUE;
        }
        if (c == 'u') {
            s->step = S_ESC_U;
            return K_CONTINUE;
        }
        return fail(s, c, "in string escape code");
    case S_ESC_U:
    case S_ESC_U1:
    case S_ESC_U12:
    case S_ESC_U123:
        if (is_hex(c)) {
            s->step = s->step == S_ESC_U123 ? S_IN_STRING : (enum state)(s->step + 1);
            return K_CONTINUE;
        }
        return fail(s, c, "in \\u hexadecimal character escape");
    case S_NEG:
        if (c == '0') {
            s->step = S_0;
            return K_CONTINUE;
        }
        if (c >= '1' && c <= '9') {
            s->step = S_1;
            return K_CONTINUE;
        }
        return fail(s, c, "in numeric literal");
    case S_1:
        if (digit)
            return K_CONTINUE;
        /* fall through */
    case S_0:
        if (c == '.') {
            s->step = S_DOT;
            return K_CONTINUE;
        }
        if (c == 'e' || c == 'E') {
            s->step = S_E;
            return K_CONTINUE;
        }
        return end_value(s, c);
    case S_DOT:
        if (digit) {
            s->step = S_DOT0;
            return K_CONTINUE;
        }
        return fail(s, c, "after decimal point in numeric literal");
    case S_DOT0:
        if (digit)
            return K_CONTINUE;
        if (c == 'e' || c == 'E') {
            s->step = S_E;
            return K_CONTINUE;
        }
        return end_value(s, c);
    case S_E:
        if (c == '+' || c == '-') {
            s->step = S_ESIGN;
            return K_CONTINUE;
        }
        /* fall through */
    case S_ESIGN:
        if (digit) {
            s->step = S_E0;
            return K_CONTINUE;
        }
        return fail(s, c, "in exponent of numeric literal");
    case S_E0:
        if (digit)
            return K_CONTINUE;
        return end_value(s, c);
    case S_T: return literal(s, c, 'r', "true", S_TR);
    case S_TR: return literal(s, c, 'u', "true", S_TRU);
    case S_TRU: return literal(s, c, 'e', "true", S_END_VALUE);
    case S_F: return literal(s, c, 'a', "false", S_FA);
    case S_FA: return literal(s, c, 'l', "false", S_FAL);
    case S_FAL: return literal(s, c, 's', "false", S_FALS);
    case S_FALS: return literal(s, c, 'e', "false", S_END_VALUE);
    case S_N: return literal(s, c, 'u', "null", S_NU);
    case S_NU: return literal(s, c, 'l', "null", S_NUL);
    case S_NUL: return literal(s, c, 'l', "null", S_END_VALUE);
    }
    return K_ERROR;
}

long tdm_sim_gojson_scan(const char *data, size_t n, char *err, size_t errlen)
{
    scanner s = {.step = S_BEGIN_VALUE, .err = err, .errlen = errlen};
    s.stack = malloc(MAX_DEPTH);
    if (!s.stack) {
        snprintf(err, errlen, "out of memory");
        return TDM_SIM_GOJSON_SYNTAX;
    }
    long result = -3;
    bool nonspace = false;
    for (size_t i = 0; i < n && result == -3; i++) {
        unsigned char c = (unsigned char)data[i];
        nonspace = nonspace || !is_space(c);
        switch (step(&s, c)) {
        case K_END:
            result = (long)i; /* decided one byte late: the value ended before c */
            break;
        case K_END_CONTAINER:
            /* Go invents a space rather than wait for the next byte. */
            if (s.depth == 0)
                result = (long)i + 1;
            break;
        case K_ERROR:
            result = TDM_SIM_GOJSON_SYNTAX;
            break;
        default:
            break;
        }
    }
    if (result == -3) {
        /* End of input: a number or literal at the top may end here. */
        if (nonspace && step(&s, ' ') == K_END) {
            result = (long)n;
        } else if (nonspace) {
            snprintf(err, errlen, "unexpected EOF");
            result = TDM_SIM_GOJSON_SYNTAX;
        } else {
            snprintf(err, errlen, "EOF");
            result = TDM_SIM_GOJSON_EOF;
        }
    }
    free(s.stack);
    return result;
}
