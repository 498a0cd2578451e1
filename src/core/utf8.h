/* utf8.h — makes arbitrary bytes valid UTF-8, so text a server sent (model output is
 * split into tokens at arbitrary byte boundaries by some servers) can always be written
 * into JSON. A result file that jansson refused to write would lose a whole run. */
#ifndef TDM_UTF8_H
#define TDM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, left >= 1 bytes readable; 0 when the
 * bytes there are not one (NUL, stray continuation, overlong form, surrogate, beyond
 * U+10FFFF, or cut short by the end). */
size_t tdm_utf8_seq_len(const unsigned char *s, size_t left);
/* True when s[0..len) is valid UTF-8 with no NUL byte. */
bool tdm_utf8_valid(const char *s, size_t len);
/* A heap copy with every invalid sequence (and NUL) replaced by U+FFFD; *outlen gets
 * its length. NULL only when out of memory. */
char *tdm_utf8_sanitize(const char *s, size_t len, size_t *outlen);

#endif
