/* utf8.h — the one UTF-8 decoder of the tree. It makes arbitrary bytes valid UTF-8, so
 * text a server sent (model output is split into tokens at arbitrary byte boundaries by
 * some servers) can always be written into JSON: a result file that jansson refused to
 * write would lose a whole run. The simulator escapes its strings with it the way Go's
 * encoding/json does, so what counts as one invalid byte matches Go's utf8.DecodeRune. */
#ifndef TDM_UTF8_H
#define TDM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (left >= 1 bytes readable): its length 1..4 with the code
 * point in *cp, or 0 when the bytes there are not one well-formed sequence (RFC 3629: a
 * stray continuation byte, lead bytes C0, C1 and F5..FF, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut short by the end). U+0000 is a valid one-byte sequence here.
 * Each 0 is exactly where Go's utf8.DecodeRune answers RuneError with width 1, so a
 * caller that replaces that one byte and goes on repairs text the way Go does. */
size_t tdm_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp);
/* Like tdm_utf8_decode without the code point, and 0 for a NUL byte too: the length of
 * the sequence that may stand in a C string at s. */
size_t tdm_utf8_seq_len(const unsigned char *s, size_t left);
/* True when s[0..len) is valid UTF-8 with no NUL byte. */
bool tdm_utf8_valid(const char *s, size_t len);
/* A quotable excerpt of s[0..len) for a message, into out (max + 4 bytes): at most max
 * bytes, never cutting a character, control bytes and invalid UTF-8 as '?', "..." when
 * something was left out. With fold_space, leading white space is dropped and each run
 * of white space (newlines too) becomes one space, so a server's page reads as one line. */
void tdm_utf8_excerpt(const char *s, size_t len, size_t max, bool fold_space, char *out);
/* A heap copy with every invalid byte (and NUL) replaced by U+FFFD; *outlen gets its
 * length. NULL only when out of memory. */
char *tdm_utf8_sanitize(const char *s, size_t len, size_t *outlen);

#endif
