/* buf.h — a growable byte buffer, always NUL-terminated so it can be read as a string.
 * Used for response text, pending partial lines and small HTTP bodies. */
#ifndef TDM_BUF_H
#define TDM_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct tdm_buf {
    char *data; /* NULL until something is appended; then data[len] == '\0' */
    size_t len;
    size_t cap;
} tdm_buf;

/* Each returns 0, or -1 when memory ran out (the buffer is left unchanged). */
int tdm_buf_append(tdm_buf *b, const void *data, size_t len);
int tdm_buf_append_str(tdm_buf *b, const char *s);
int tdm_buf_printf(tdm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for n more bytes at the end, to be written in place (no copy through a scratch
 * buffer): returns where they go, or NULL when memory ran out; tdm_buf_grow then takes
 * in the m <= n bytes actually written there. */
char *tdm_buf_tail(tdm_buf *b, size_t n);
void tdm_buf_grow(tdm_buf *b, size_t m);
/* Removes the first n bytes (n <= len). */
void tdm_buf_consume(tdm_buf *b, size_t n);
void tdm_buf_reset(tdm_buf *b);
void tdm_buf_free(tdm_buf *b);
/* The contents as a C string ("" when empty). */
const char *tdm_buf_str(const tdm_buf *b);
/* Hands the heap string to the caller (never NULL unless out of memory) and empties b. */
char *tdm_buf_steal(tdm_buf *b);

#endif
