/* yaml_load.c — libcyaml's configuration, log capture and load, shared by the scenario
 * and experiment loaders (see yaml_load.h). */
#include "core/yaml_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

/* cyaml_config_t.log_fn: collects libcyaml's lines in the tdm_buf at log_ctx. */
static void log_to_buf(cyaml_log_t level, void *log_ctx, const char *fmt, va_list args)
{
    (void)level;
    char line[512];
    int n = vsnprintf(line, sizeof line, fmt, args);
    /* Out of memory only shortens the message. A cut line still ends the line, so the
     * next one is parsed on its own. */
    tdm_buf_append_str(log_ctx, line);
    if (n >= (int)sizeof line)
        tdm_buf_append_str(log_ctx, "\n");
}

static cyaml_config_t config(tdm_buf *log)
{
    return (cyaml_config_t){
        .log_fn = log ? log_to_buf : NULL, /* NULL: libcyaml logs nothing */
        .log_ctx = log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_WARNING,
        /* Aliases let a few lines expand to gigabytes. */
        .flags = CYAML_CFG_NO_ALIAS,
    };
}

int tdm_yaml_load(const char *yaml, size_t len, const tdm_yaml_kind *kind, const char *src, void **out,
                  tdm_yaml_warning *warn, char *err, size_t errlen)
{
    tdm_buf log = {0};
    cyaml_config_t cfg = config(&log);
    *out = NULL;
    warn->text[0] = '\0';
    warn->more_documents = false;
    cyaml_data_t *data = NULL;
    cyaml_err_t e = cyaml_load_data((const uint8_t *)yaml, len, &cfg, kind->schema, &data, NULL);
    if (e != CYAML_OK) {
        tdm_yaml_message(err, errlen, src, e, tdm_buf_str(&log), kind);
        tdm_yaml_free(kind, data);
        tdm_buf_free(&log);
        return -1;
    }
    if (log.len) {
        snprintf(warn->text, sizeof warn->text, "%s", tdm_buf_str(&log));
        warn->text[strcspn(warn->text, "\n")] = '\0';
        warn->more_documents = strstr(warn->text, "Ignoring documents") != NULL;
    }
    tdm_buf_free(&log);
    *out = data;
    return 0;
}

void tdm_yaml_free(const tdm_yaml_kind *kind, void *data)
{
    if (!data)
        return;
    cyaml_config_t cfg = config(NULL);
    cyaml_free(&cfg, kind->schema, data, 0);
}
