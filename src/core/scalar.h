/* scalar.h — strict parsing of YAML scalars that tandem's files read as strings
 * (scenarios, experiments). libcyaml 1.3 accepts "1.5" as 1, "12abc" as 12 and "010"
 * as 8; reading every scalar as text and converting it here turns each of those into
 * an error naming the field, and makes Debian and Nix builds read a file the same way. */
#ifndef TDM_SCALAR_H
#define TDM_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Optional sign, then decimal digits only. */
bool tdm_scalar_i64(const char *s, int64_t *out);
/* Optional '+', then decimal digits only. */
bool tdm_scalar_u64(const char *s, uint64_t *out);
/* Plain decimal notation only: no "nan", "inf" or hex floats; finite. */
bool tdm_scalar_double(const char *s, double *out);
/* true/yes/on or false/no/off, any case. */
bool tdm_scalar_bool(const char *s, bool *out);

/* A number as people write it in a message: integers plainly (16777216, never
 * 1.67772e+07), others with %g. Returns buf. */
const char *tdm_scalar_plain(char *buf, size_t len, double v);

#endif
