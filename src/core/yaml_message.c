/* yaml_message.c — turns libcyaml's log into one tandem message (tdm_yaml_message in
 * yaml_load.h); kept apart from yaml_load.c because it depends on libcyaml's log wording.
 *
 * libcyaml reports a failure as a line ("Load: Unexpected key: foo") followed by a
 * backtrace, innermost first ("  in mapping field 'options' (line: 7, column: 5)",
 * "  in sequence entry '2' ...", "  in mapping ..."). We rebuild the field path from
 * the backtrace (agents[1].options), reword the common failures with their fix, and
 * keep libcyaml's own line at the end. Text we do not recognise (another libcyaml
 * version's wording) is passed through as it is, so nothing is lost. */
#include "core/yaml_load.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* One frame of libcyaml's backtrace, innermost first:
 *   "  in mapping field 'KEY' (line: L, column: C)"
 *   "  in sequence entry 'N' (line: L, column: C)"   N counts from 1 once read
 *   "  in mapping (line: L, column: C)" */
typedef struct frame {
    char key[128]; /* "" for a sequence entry or a bare mapping */
    long index;    /* sequence entry, 0-based; -1 otherwise */
    long line;
} frame;

#define MAX_FRAMES 32

static bool parse_frame(const char *l, frame *f)
{
    f->key[0] = '\0';
    f->index = -1;
    f->line = 0;
    const char *at = strstr(l, "(line: ");
    if (at)
        f->line = strtol(at + 7, NULL, 10);
    if (strncmp(l, "in mapping field '", 18) == 0) {
        const char *k = l + 18;
        const char *end = at && at > k + 1 ? at - 2 : NULL; /* the "' " before "(line:" */
        if (!end || *end != '\'')
            end = strrchr(k, '\'');
        if (!end)
            return false;
        size_t n = (size_t)(end - k);
        if (n >= sizeof f->key)
            n = sizeof f->key - 1;
        memcpy(f->key, k, n);
        f->key[n] = '\0';
        return true;
    }
    if (strncmp(l, "in sequence entry '", 19) == 0) {
        long n = strtol(l + 19, NULL, 10);
        f->index = n > 0 ? n - 1 : 0; /* libcyaml counts entries once it has started them */
        return true;
    }
    return strncmp(l, "in mapping", 10) == 0;
}

/* The mapping fields in effect at a path (outermost frame first), to list the keys
 * allowed where an unknown one was found. */
static const cyaml_schema_field_t *fields_at(const cyaml_schema_field_t *top, const frame *fr, size_t n)
{
    const cyaml_schema_field_t *fields = top;
    for (size_t i = 0; i < n && fields; i++) {
        if (!fr[i].key[0])
            continue;
        const cyaml_schema_field_t *f = fields;
        while (f->key && strcmp(f->key, fr[i].key) != 0)
            f++;
        if (!f->key)
            return NULL;
        const cyaml_schema_value_t *v = &f->value;
        if (v->type == CYAML_SEQUENCE)
            v = v->sequence.entry;
        fields = v->type == CYAML_MAPPING ? v->mapping.fields : NULL;
    }
    return fields;
}

static const char *event_words(const char *e)
{
    if (strncmp(e, "SEQUENCE", 8) == 0 || strncmp(e, "FLAGS", 5) == 0)
        return "a list";
    if (strncmp(e, "MAPPING", 7) == 0)
        return "a mapping of key: value pairs";
    if (strncmp(e, "ALIAS", 5) == 0)
        return "an alias";
    return "a single value";
}

void tdm_yaml_message(char *err, size_t errlen, const char *src, cyaml_err_t e, const char *log,
                      const tdm_yaml_kind *kind)
{
    const cyaml_schema_field_t *top = kind->schema->mapping.fields;
    char what[512] = "";
    frame fr[MAX_FRAMES];
    size_t n = 0;
    const char *p = log;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char l[512];
        if (len >= sizeof l)
            len = sizeof l - 1;
        memcpy(l, p, len);
        l[len] = '\0';
        p += len + (nl ? 1 : 0);
        const char *t = l;
        while (*t == ' ')
            t++;
        if (strncmp(t, "Load: ", 6) == 0)
            t += 6;
        if (strncmp(t, "in ", 3) == 0) {
            if (n < MAX_FRAMES && parse_frame(t, &fr[n]))
                n++;
        } else if (*t && strcmp(t, "Backtrace:") != 0 && !what[0]) {
            snprintf(what, sizeof what, "%s", t);
        }
    }
    /* Outermost first, as a path reads. */
    for (size_t i = 0; i < n / 2; i++) {
        frame tmp = fr[i];
        fr[i] = fr[n - 1 - i];
        fr[n - 1 - i] = tmp;
    }
    tdm_buf path = {0};
    for (size_t i = 0; i < n; i++) {
        if (fr[i].key[0])
            tdm_buf_printf(&path, "%s%s", path.len ? "." : "", fr[i].key);
        else if (fr[i].index >= 0)
            tdm_buf_printf(&path, "[%ld]", fr[i].index);
    }
    const char *where = path.len ? tdm_buf_str(&path) : "(top level)";
    /* A key's frame carries the line of its value; a bare mapping's frame (an unknown
     * key) only where the mapping starts, which is said in words instead. */
    long line = n && fr[n - 1].key[0] ? fr[n - 1].line : 0;
    long map_line = n > 1 && !fr[n - 1].key[0] && fr[n - 1].index < 0 ? fr[n - 1].line : 0;
    char loc[32] = "";
    if (line > 0)
        snprintf(loc, sizeof loc, ":%ld", line);

    tdm_buf msg = {0};
    char a[160], b[160];
    if (sscanf(what, "Unexpected key: %159[^\n]", a) == 1) {
        tdm_buf_printf(&msg, "unknown key '%s'; the keys allowed here are", a);
        const cyaml_schema_field_t *f = fields_at(top, fr, n);
        for (size_t i = 0; f && f[i].key; i++)
            tdm_buf_printf(&msg, "%s %s", i ? "," : "", f[i].key);
        if (!f)
            tdm_buf_append_str(&msg, " those of its schema (see the documentation of this file's format)");
        if (map_line > 0)
            tdm_buf_printf(&msg, " (in the mapping that starts on line %ld)", map_line);
    } else if (sscanf(what, "Mapping field already seen: %159[^\n]", a) == 1) {
        tdm_buf_printf(&msg, "'%s' is given twice; keep one", a);
    } else if (sscanf(what, "Expecting %159s got event: %159s", a, b) == 2) {
        tdm_buf_printf(&msg, "expected %s here, found %s", event_words(a), event_words(b));
        if (n == 0)
            tdm_buf_printf(&msg, "; %s", kind->top_hint);
    } else if (sscanf(what, "Unknown flag: %159[^\n]", a) == 1) {
        tdm_buf_printf(&msg, "'%s' is not a phase; list sequential and/or concurrent", a);
    } else if (strncmp(what, "libyaml: ", 9) == 0) {
        tdm_buf_printf(&msg, "not valid YAML (%s); check indentation (spaces, not tabs) and quoting near here",
                       what + 9);
    } else if (e == CYAML_ERR_ALIAS) {
        tdm_buf_append_str(&msg, "YAML aliases (*name) are not supported; write the value out");
        if (kind->alias_hint)
            tdm_buf_printf(&msg, ", %s", kind->alias_hint);
    } else if (e == CYAML_ERR_OOM) {
        tdm_buf_append_str(&msg, "out of memory");
    } else {
        tdm_buf_printf(&msg, "%s", what[0] ? what : cyaml_strerror(e));
    }
    if (what[0])
        tdm_buf_printf(&msg, " (libcyaml: %s)", what);
    if (err && errlen)
        snprintf(err, errlen, "%s%s: %s: %s", src, loc, where, tdm_buf_str(&msg));
    tdm_buf_free(&path);
    tdm_buf_free(&msg);
}
