/* utf8.h — makes arbitrary bytes valid UTF-8, so text a server sent (model output is
 * split into tokens at arbitrary byte boundaries by some servers) can always be written
 * into JSON. A result file that jansson refused to write would lose a whole run. */
#ifndef TDM_UTF8_H
#define TDM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 with no NUL byte. */
bool tdm_utf8_valid(const char *s, size_t len);
/* A heap copy with every invalid sequence (and NUL) replaced by U+FFFD; *outlen gets
 * its length. NULL only when out of memory. */
char *tdm_utf8_sanitize(const char *s, size_t len, size_t *outlen);

#endif
