/* scenario_yaml_errors.h — libcyaml's log captured into a buffer and turned into one
 * message in tandem's style (source:line: field.path: problem; fix). Used by
 * scenario_yaml.c; kept apart because it depends on libcyaml's log wording. */
#ifndef TDM_SCENARIO_YAML_ERRORS_H
#define TDM_SCENARIO_YAML_ERRORS_H

#include <cyaml/cyaml.h>
#include <stdarg.h>
#include <stddef.h>

/* A cyaml_config_t.log_fn; log_ctx must point to a tdm_buf that collects the text. */
void tdm_cyaml_log_to_buf(cyaml_log_t level, void *log_ctx, const char *fmt, va_list args);

/* Writes into err the message for libcyaml's failure e, given what it logged. top is
 * the schema's top-level fields, to list the keys allowed where an unknown one was. */
void tdm_cyaml_message(char *err, size_t errlen, const char *src, cyaml_err_t e, const char *log,
                       const cyaml_schema_field_t *top);

#endif
