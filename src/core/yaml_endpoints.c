/* yaml_endpoints.c — URL entries of endpoints: rewritten as mappings (see
 * yaml_endpoints.h), found with libyaml's event parser, the one libcyaml reads with. */
#include "core/yaml_endpoints.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"

/* One URL entry: where it lies in the text (bytes) and its value. */
typedef struct entry {
    size_t from, to;
    char *value;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

/* libyaml's marks count characters ("\r\n" as two); the text's offsets are bytes. The
 * cursor walks forward only, as the events come in text order. */
typedef struct cursor {
    const unsigned char *s;
    size_t len, chars, bytes;
} cursor;

static size_t byte_at(cursor *c, size_t char_index)
{
    while (c->chars < char_index && c->bytes < c->len) {
        unsigned char b = c->s[c->bytes];
        size_t w = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        c->bytes = c->bytes + w < c->len ? c->bytes + w : c->len;
        c->chars++;
    }
    return c->bytes;
}

static int add(entries *e, size_t from, size_t to, const char *value)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        entry *p = realloc(e->v, cap * sizeof *p);
        if (!p)
            return -1;
        e->v = p;
        e->cap = cap;
    }
    char *v = strdup(value);
    if (!v)
        return -1;
    e->v[e->n++] = (entry){from, to, v};
    return 0;
}

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].value);
    free(e->v);
}

/* Collects the scalar entries of the first document's top-level endpoints: sequence.
 * Returns 0 (also when the text does not parse: nothing is collected then), -1 on OOM. */
static int collect(const char *yaml, size_t len, entries *out)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return -1;
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    cursor cur = {(const unsigned char *)yaml, len, 0, 0};
    int depth = 0;         /* open collections */
    bool key_turn = true;  /* at depth 1 (the top-level mapping), the next node is a key */
    bool is_endpoints = false; /* the value being read belongs to the key endpoints */
    bool in_list = false;  /* inside endpoints' sequence (its entries are at depth 2) */
    int rc = 0;
    for (bool end = false; !end && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            entries_free(out);
            *out = (entries){0}; /* libcyaml will say what is wrong, with its own words */
            break;
        }
        bool node_done = false; /* a node directly inside the top-level mapping ended */
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 1 && !key_turn && is_endpoints && ev.type == YAML_SEQUENCE_START_EVENT)
                in_list = true;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            if (depth == 1) {
                node_done = true;
                in_list = false;
            }
            break;
        case YAML_SCALAR_EVENT:
            if (depth == 1 && key_turn)
                is_endpoints = strcmp((const char *)ev.data.scalar.value, "endpoints") == 0;
            if (depth == 2 && in_list) {
                size_t from = byte_at(&cur, ev.start_mark.index);
                size_t to = byte_at(&cur, ev.end_mark.index);
                rc = add(out, from, to, (const char *)ev.data.scalar.value);
            }
            node_done = depth == 1;
            break;
        case YAML_ALIAS_EVENT:
            node_done = depth == 1;
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            end = true;
            break;
        default:
            break;
        }
        if (node_done) {
            if (!key_turn)
                is_endpoints = false;
            key_turn = !key_turn;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* {url: "value"}: a double-quoted scalar reads back as exactly value. */
static int append_mapping(tdm_buf *b, const char *value)
{
    int rc = tdm_buf_append_str(b, "{url: \"");
    for (const unsigned char *q = (const unsigned char *)value; rc == 0 && *q; q++) {
        if (*q == '"' || *q == '\\')
            rc = tdm_buf_printf(b, "\\%c", *q);
        else if (*q < 0x20 || *q == 0x7f)
            rc = tdm_buf_printf(b, "\\x%02x", *q);
        else
            rc = tdm_buf_append(b, q, 1);
    }
    return rc == 0 ? tdm_buf_append_str(b, "\"}") : -1;
}

int tdm_yaml_endpoint_maps(const char *yaml, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    entries e = {0};
    if (collect(yaml, len, &e) != 0) {
        entries_free(&e);
        return -1;
    }
    if (e.n == 0) {
        entries_free(&e);
        return 0;
    }
    tdm_buf b = {0};
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < e.n; i++) {
        rc = tdm_buf_append(&b, yaml + at, e.v[i].from - at);
        if (rc == 0)
            rc = append_mapping(&b, e.v[i].value);
        /* The line breaks of an entry written over several lines stay, after it. */
        for (size_t k = e.v[i].from; rc == 0 && k < e.v[i].to; k++)
            if (yaml[k] == '\n')
                rc = tdm_buf_append(&b, "\n", 1);
        at = e.v[i].to;
    }
    if (rc == 0)
        rc = tdm_buf_append(&b, yaml + at, len - at);
    entries_free(&e);
    if (rc != 0) {
        tdm_buf_free(&b);
        return -1;
    }
    *outlen = b.len;
    *out = tdm_buf_steal(&b);
    return *out ? 0 : -1;
}
