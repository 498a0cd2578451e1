/* yaml_load.h — loading one YAML document with libcyaml the way every tandem file is
 * loaded (scenarios: scenario_yaml.c; experiments: src/sweep/experiment_yaml.c):
 * aliases refused, libcyaml's log captured into a buffer instead of stderr, and a
 * failure turned into one message in tandem's style (source:line: field.path: problem;
 * fix (libcyaml: its own words)). The callers keep only their schema and wording. */
#ifndef TDM_YAML_LOAD_H
#define TDM_YAML_LOAD_H

#include <cyaml/cyaml.h>
#include <stdbool.h>
#include <stddef.h>

/* What kind of file is loaded. */
typedef struct tdm_yaml_kind {
    /* The top level: a CYAML_VALUE_MAPPING with CYAML_FLAG_POINTER. Its fields also
     * list the keys allowed where an unknown one was found. */
    const cyaml_schema_value_t *schema;
    /* Added when the top level is not a mapping, e.g. "a scenario file is a mapping of
     * key: value pairs (name:, agents:, ...)". */
    const char *top_hint;
    /* Added when the file uses an alias, after "write the value out": e.g. "or put
     * shared agent settings under defaults:". NULL: nothing more. */
    const char *alias_hint;
} tdm_yaml_kind;

/* What libcyaml logged while loading a document it did not reject. */
typedef struct tdm_yaml_warning {
    char text[256];      /* its first line; "" when it logged nothing */
    bool more_documents; /* it skipped everything after the first document */
} tdm_yaml_warning;

/* Loads yaml[0..len) as kind->schema. Returns 0 with *out the data (NULL for an empty
 * document; free it with tdm_yaml_free) and *warn filled: a warning means libcyaml
 * skipped something the caller should refuse rather than silently ignore. Returns -1
 * with *out NULL and err the message, which starts with src. */
int tdm_yaml_load(const char *yaml, size_t len, const tdm_yaml_kind *kind, const char *src, void **out,
                  tdm_yaml_warning *warn, char *err, size_t errlen);

/* Frees what tdm_yaml_load returned (NULL is fine). */
void tdm_yaml_free(const tdm_yaml_kind *kind, void *data);

/* Used by tdm_yaml_load (yaml_message.c): writes into err the message for libcyaml's
 * failure e, given what it logged. */
void tdm_yaml_message(char *err, size_t errlen, const char *src, cyaml_err_t e, const char *log,
                      const tdm_yaml_kind *kind);

#endif
