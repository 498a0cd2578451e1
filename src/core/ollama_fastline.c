/* ollama_fastline.c — the tree-free path of the Ollama line parser (see ollama_proto.h).
 *
 * Why: every streamed token is one JSON line, and building a jansson tree for it was
 * about 40% of the client's CPU per token in profiles of the calibration runs. This
 * reader walks a line once with json_scan.h, keeps only the members the record needs and
 * skips the rest, including the final line's long "context" array, without allocating
 * anything but the text it returns.
 *
 * It is deliberately partial. It accepts a line only when it is sure jansson (with
 * JSON_DECODE_ANY | JSON_ALLOW_NUL) would accept it and yield the same values; on
 * anything else it declines and the tree path decides, so results and error messages
 * cannot differ: an "error" member, a member of an unexpected type, a known member
 * given twice (jansson keeps the last one), an escaped object key, an exponent or an
 * integer of more than 18 digits (jansson refuses numbers it cannot represent), deep
 * nesting, a lone surrogate, invalid UTF-8, a control byte in a string, or any syntax
 * error. A differential unit test holds the two paths to that promise. */
#include "core/ollama_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_scan.h"

/* Where a known member's value was found, for the text members read after the walk. */
typedef struct found {
    tdm_jspan text;
    bool present; /* present and not null */
} found;

static bool read_text(tdm_jscan *c, found *f)
{
    return tdm_jscan_text(c, &f->text, &f->present);
}

/* Known members; a second occurrence of any of them is left to jansson. */
enum {
    M_MODEL, M_DONE_REASON, M_DONE, M_RESPONSE, M_THINKING, M_MESSAGE, M_MSG_CONTENT,
    M_MSG_THINKING, M_COUNTER0,
    M_COUNT = M_COUNTER0 + 6
};

typedef struct walk {
    unsigned seen; /* bit per M_* */
    found model, done_reason, response, thinking, msg_content, msg_thinking;
    int done;                /* -1 null, else 0/1; read only when `seen` has M_DONE */
    int64_t counters[6];     /* -1 null; each read only when `seen` has it */
} walk;

static bool first_time(walk *w, int member)
{
    if (w->seen & (1u << member))
        return false;
    w->seen |= 1u << member;
    return true;
}

/* A member of the "message" object of a chat line. */
static bool message_member(tdm_jscan *c, const tdm_jspan *key, void *ctx)
{
    walk *w = ctx;
    if (TDM_JSPAN_IS(key, "content"))
        return first_time(w, M_MSG_CONTENT) && read_text(c, &w->msg_content);
    if (TDM_JSPAN_IS(key, "thinking"))
        return first_time(w, M_MSG_THINKING) && read_text(c, &w->msg_thinking);
    return tdm_jscan_skip(c, 2);
}

/* Counters as ollama_proto.c names them, in tdm_server_counters order. */
#define NAME(s) {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} counter_names[6] = {
    NAME("total_duration"),       NAME("load_duration"), NAME("prompt_eval_count"),
    NAME("prompt_eval_duration"), NAME("eval_count"),    NAME("eval_duration"),
};
#undef NAME

static int counter_index(const tdm_jspan *key)
{
    /* Every counter name ends in "_count" or "_duration": other keys leave at once. */
    if (key->len < 10 || (key->s[key->len - 1] != 'n' && key->s[key->len - 1] != 't'))
        return -1;
    for (int i = 0; i < 6; i++)
        if (tdm_jspan_is(key, counter_names[i].name, counter_names[i].len))
            return i;
    return -1;
}

/* One member value of the top-level object, its key read. */
static bool top_member(tdm_jscan *c, const tdm_jspan *key, void *ctx)
{
    walk *w = ctx;
    tdm_jscan_ws(c);
    int ci;
    if (TDM_JSPAN_IS(key, "response"))
        return first_time(w, M_RESPONSE) && read_text(c, &w->response);
    if (TDM_JSPAN_IS(key, "done")) {
        if (!first_time(w, M_DONE))
            return false;
        w->done = -1;
        if (tdm_jscan_literal(c, "true", 4))
            w->done = 1;
        else if (tdm_jscan_literal(c, "false", 5))
            w->done = 0;
        else
            return tdm_jscan_literal(c, "null", 4);
        return true;
    }
    if (TDM_JSPAN_IS(key, "model"))
        return first_time(w, M_MODEL) && read_text(c, &w->model);
    if (TDM_JSPAN_IS(key, "thinking"))
        return first_time(w, M_THINKING) && read_text(c, &w->thinking);
    if (TDM_JSPAN_IS(key, "done_reason"))
        return first_time(w, M_DONE_REASON) && read_text(c, &w->done_reason);
    if (TDM_JSPAN_IS(key, "message")) {
        if (!first_time(w, M_MESSAGE))
            return false;
        if (tdm_jscan_literal(c, "null", 4))
            return true;
        return tdm_jscan_eat(c, '{') && tdm_jscan_members(c, message_member, w);
    }
    if (TDM_JSPAN_IS(key, "error"))
        return false; /* the tree path writes the message */
    if ((ci = counter_index(key)) >= 0) {
        if (!first_time(w, M_COUNTER0 + ci))
            return false;
        if (tdm_jscan_literal(c, "null", 4)) {
            w->counters[ci] = -1;
            return true;
        }
        bool digits_only;
        int64_t v;
        if (!tdm_jscan_number(c, &digits_only, &v) || !digits_only)
            return false; /* negative or real: the tree path names the type */
        w->counters[ci] = v;
        return true;
    }
    return tdm_jscan_skip(c, 1);
}

/* Whether a text member was given, and not as null. */
static bool has(const walk *w, int member, const found *f)
{
    return (w->seen & (1u << member)) && f->present;
}

/* Moves what the walk found into out; with text, the content goes onto its end. */
static bool fill(const walk *w, tdm_ollama_line *out, tdm_buf *text)
{
    if (has(w, M_MODEL, &w->model) && !tdm_jspan_label(&w->model.text, out->model, sizeof out->model))
        return false;
    if (has(w, M_DONE_REASON, &w->done_reason) &&
        !tdm_jspan_label(&w->done_reason.text, out->done_reason, sizeof out->done_reason))
        return false;
    out->done = (w->seen & (1u << M_DONE)) && w->done == 1;
    /* Generate puts the text at the top level, chat inside "message"; the top level wins. */
    static const tdm_jspan empty = {(const unsigned char *)"", 0, false};
    const tdm_jspan *cs = has(w, M_RESPONSE, &w->response)       ? &w->response.text
                     : has(w, M_MSG_CONTENT, &w->msg_content) ? &w->msg_content.text
                                                              : &empty;
    const tdm_jspan *ts = has(w, M_THINKING, &w->thinking)         ? &w->thinking.text
                     : has(w, M_MSG_THINKING, &w->msg_thinking) ? &w->msg_thinking.text
                                                                : &empty;
    if (text) {
        /* The thinking text is decoded after the content only to learn its length. */
        unsigned char *tail = (unsigned char *)tdm_buf_tail(text, cs->len + ts->len);
        if (!tail)
            return false;
        out->content_len = tdm_jspan_decode(cs, tail);
        out->thinking_len = tdm_jspan_decode(ts, tail + out->content_len);
        tdm_buf_grow(text, out->content_len);
    } else {
        out->content = tdm_jspan_dup(cs, &out->content_len);
        out->thinking = tdm_jspan_dup(ts, &out->thinking_len);
        if (!out->content || !out->thinking)
            return false;
    }
    int64_t *dst[6] = {
        &out->counters.total_duration_ns, &out->counters.load_duration_ns,
        &out->counters.prompt_eval_count, &out->counters.prompt_eval_duration_ns,
        &out->counters.eval_count,        &out->counters.eval_duration_ns,
    };
    for (int i = 0; i < 6; i++)
        *dst[i] = (w->seen & (1u << (M_COUNTER0 + i))) ? w->counters[i] : -1;
    return true;
}

static bool parse(const char *line, size_t len, tdm_ollama_line *out, tdm_buf *text)
{
    /* Field by field rather than memset: this runs once per token, and clearing the
     * label arrays whole cost more than reading the line. */
    out->done = false;
    out->content = out->thinking = out->error = NULL;
    out->content_len = out->thinking_len = 0;
    out->done_reason[0] = out->model[0] = '\0';
    tdm_server_counters_init(&out->counters);
    tdm_jscan c = {(const unsigned char *)line, (const unsigned char *)line + len};
    walk w; /* only what `seen` marks is read */
    w.seen = 0;

    if (!tdm_jscan_eat(&c, '{') || !tdm_jscan_members(&c, top_member, &w))
        return false;
    if (!tdm_jscan_at_end(&c))
        return false; /* jansson refuses anything after the value */
    if (!fill(&w, out, text)) {
        tdm_ollama_line_clear(out);
        return false;
    }
    return true;
}

bool tdm_ollama_parse_fast(const char *line, size_t len, tdm_ollama_line *out)
{
    return parse(line, len, out, NULL);
}

bool tdm_ollama_parse_fast_append(const char *line, size_t len, tdm_ollama_line *out, tdm_buf *text)
{
    return parse(line, len, out, text);
}
