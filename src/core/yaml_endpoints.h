/* yaml_endpoints.h — lets a scenario's endpoints: list mix URLs and mappings
 * ({url: ..., api: openai}), which libcyaml cannot read as one list: it has no type that
 * is "a string or a mapping". Before libcyaml sees the text, each plain URL entry of the
 * top-level endpoints: sequence is rewritten as {url: "<the URL>"}, so libcyaml reads a
 * list of mappings. */
#ifndef TDM_YAML_ENDPOINTS_H
#define TDM_YAML_ENDPOINTS_H

#include <stddef.h>

/* Returns 0 with *out NULL when there is nothing to rewrite (no URL entry, or a text
 * libyaml cannot parse: libcyaml then reports the problem), 0 with *out a heap copy of
 * the rewritten text (*outlen its length) otherwise, or -1 when out of memory. Lines are
 * kept where they were, so libcyaml's messages name the file's own lines. */
int tdm_yaml_endpoint_maps(const char *yaml, size_t len, char **out, size_t *outlen);

#endif
