/* buf.c — growable byte buffer (see buf.h). */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(tdm_buf *b, size_t extra)
{
    if (extra > (size_t)-1 / 2 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int tdm_buf_append(tdm_buf *b, const void *data, size_t len)
{
    if (reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

char *tdm_buf_tail(tdm_buf *b, size_t n)
{
    if (reserve(b, n) != 0)
        return NULL;
    b->data[b->len] = '\0'; /* a fresh buffer is a string too, as buf.h promises */
    return b->data + b->len;
}

void tdm_buf_grow(tdm_buf *b, size_t m)
{
    if (!b->data)
        return; /* only after tdm_buf_tail, which allocated */
    b->len += m;
    b->data[b->len] = '\0';
}

int tdm_buf_append_str(tdm_buf *b, const char *s)
{
    return tdm_buf_append(b, s, strlen(s));
}

int tdm_buf_printf(tdm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void tdm_buf_consume(tdm_buf *b, size_t n)
{
    if (n >= b->len) {
        tdm_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void tdm_buf_reset(tdm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tdm_buf_free(tdm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *tdm_buf_str(const tdm_buf *b)
{
    return b->data ? b->data : "";
}

char *tdm_buf_steal(tdm_buf *b)
{
    char *s = b->data ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}
