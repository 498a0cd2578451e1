/* gojson.h — how Go's encoding/json reads a request body, for Ollama-exact 400 messages.
 *
 * Ollama binds a body with gin's ShouldBindJSON, i.e. json.NewDecoder(body).Decode(&req):
 * the decoder scans the FIRST JSON value only (anything after it is never read), and
 * names a syntax error by the offending byte and the scanner's state, e.g.
 *   invalid character 'n' looking for beginning of object key string
 *   invalid character '"' after object key:value pair
 * A body cut short is "unexpected EOF"; an empty (or all-whitespace) body is io.EOF,
 * which Ollama answers with "missing request body". */
#ifndef TDM_SIM_GOJSON_H
#define TDM_SIM_GOJSON_H

#include <stddef.h>

/* Results below zero. */
enum { TDM_SIM_GOJSON_EOF = -1, TDM_SIM_GOJSON_SYNTAX = -2 };

/* Scans the first JSON value in s[0..n) as Go's json.Decoder does. Returns the offset
 * just past it (leading whitespace included), TDM_SIM_GOJSON_EOF when s holds nothing
 * but whitespace, or TDM_SIM_GOJSON_SYNTAX with Go's message in err ("unexpected EOF"
 * for a truncated value). */
long tdm_sim_gojson_scan(const char *s, size_t n, char *err, size_t errlen);

#endif
