/* openai_fastchunk.c — the tree-free path of the OpenAI event parser (see openai_proto.h).
 *
 * Why: a streamed chat completion sends one JSON object per token, and jansson's tree for
 * it cost about 5 us per token here against 0.2 us for Ollama's lines on their tree-free
 * path, so the client's measured cost per token depended on the API it spoke. This path
 * reads the common chunk, {"id", "object", "created", "model", "choices": [{"index",
 * "delta": {"role", "content"|"reasoning"|"reasoning_content"}, "finish_reason"}]}, and
 * a whole reply with "message" instead of "delta", with json_scan.h.
 *
 * Like ollama_fastline.c it is deliberately partial: it accepts an object only when
 * jansson would accept it and tdm_openai_parse_tree would yield the same fields, and
 * declines everything else for the tree path to decide, so results and error messages
 * cannot differ: an "error" member (even null), a non-null "usage" or "timings" (the
 * counters come once per stream; the tree path reads them), a member of an unexpected
 * type, a known member given twice (jansson keeps the last), and whatever json_scan.h
 * declines. tests/unit/test_core_openai_fastchunk.c and the sse_openai fuzz target hold
 * the two paths to that promise. */
#include "core/openai_proto.h"

#include <stdlib.h>
#include <string.h>

#include "core/json_scan.h"

/* A delta or message object: which of its text members were seen, and where. */
enum { T_CONTENT, T_REASONING, T_REASONING_CONTENT, T_COUNT };
typedef struct message {
    unsigned seen;        /* bit per T_* */
    bool object;          /* given as an object (not absent, not null) */
    tdm_jspan text[T_COUNT];
    bool present[T_COUNT]; /* given as a string (not null) */
} message;

/* Members of the object and of choices[0]; a second occurrence of any is declined. */
enum { M_MODEL, M_CHOICES, M_USAGE, M_TIMINGS, M_FINISH, M_DELTA, M_MESSAGE };
typedef struct walk {
    unsigned seen; /* bit per M_* */
    tdm_jspan model, finish;
    bool has_model, has_finish;
    message delta, whole;
} walk;

static bool first_time(unsigned *seen, int member)
{
    if (*seen & (1u << member))
        return false;
    *seen |= 1u << member;
    return true;
}

/* A member of a delta or message object. */
static bool message_member(tdm_jscan *c, const tdm_jspan *key, void *ctx)
{
    message *m = ctx;
    int t = TDM_JSPAN_IS(key, "content")             ? T_CONTENT
            : TDM_JSPAN_IS(key, "reasoning")         ? T_REASONING
            : TDM_JSPAN_IS(key, "reasoning_content") ? T_REASONING_CONTENT
                                                     : -1;
    if (t < 0)
        return tdm_jscan_skip(c, 4);
    return first_time(&m->seen, t) && tdm_jscan_text(c, &m->text[t], &m->present[t]);
}

/* A "delta" or "message" value: null, or an object whose text members are read. */
static bool read_message(tdm_jscan *c, message *m)
{
    if (tdm_jscan_literal(c, "null", 4))
        return true;
    if (!tdm_jscan_eat(c, '{'))
        return false;
    m->object = true;
    return tdm_jscan_members(c, message_member, m);
}

/* A member of choices[0]. */
static bool choice_member(tdm_jscan *c, const tdm_jspan *key, void *ctx)
{
    walk *w = ctx;
    if (TDM_JSPAN_IS(key, "finish_reason"))
        return first_time(&w->seen, M_FINISH) && tdm_jscan_text(c, &w->finish, &w->has_finish);
    if (TDM_JSPAN_IS(key, "delta"))
        return first_time(&w->seen, M_DELTA) && read_message(c, &w->delta);
    if (TDM_JSPAN_IS(key, "message"))
        return first_time(&w->seen, M_MESSAGE) && read_message(c, &w->whole);
    return tdm_jscan_skip(c, 3);
}

/* "choices": null, or an array whose first element is an object (the rest are skipped). */
static bool read_choices(tdm_jscan *c, walk *w)
{
    if (tdm_jscan_literal(c, "null", 4))
        return true;
    if (!tdm_jscan_eat(c, '['))
        return false;
    if (tdm_jscan_eat(c, ']'))
        return true;
    if (!tdm_jscan_eat(c, '{') || !tdm_jscan_members(c, choice_member, w))
        return false;
    for (;;) {
        if (tdm_jscan_eat(c, ']'))
            return true;
        if (!tdm_jscan_eat(c, ',') || !tdm_jscan_skip(c, 2))
            return false;
    }
}

/* A member of the top-level object. */
static bool top_member(tdm_jscan *c, const tdm_jspan *key, void *ctx)
{
    walk *w = ctx;
    if (TDM_JSPAN_IS(key, "choices"))
        return first_time(&w->seen, M_CHOICES) && read_choices(c, w);
    if (TDM_JSPAN_IS(key, "model"))
        return first_time(&w->seen, M_MODEL) && tdm_jscan_text(c, &w->model, &w->has_model);
    if (TDM_JSPAN_IS(key, "usage"))
        return first_time(&w->seen, M_USAGE) && tdm_jscan_literal(c, "null", 4);
    if (TDM_JSPAN_IS(key, "timings"))
        return first_time(&w->seen, M_TIMINGS) && tdm_jscan_literal(c, "null", 4);
    if (TDM_JSPAN_IS(key, "error"))
        return false; /* the tree path writes the message */
    return tdm_jscan_skip(c, 1);
}

/* The text member t of m, or NULL when absent or null. */
static const tdm_jspan *text_of(const message *m, int t)
{
    return m->present[t] ? &m->text[t] : NULL;
}

/* Moves what the walk found into out, as parse_choice and parse_object of the tree path
 * would: the delta wins over the message, "reasoning" over "reasoning_content". */
static bool fill(const walk *w, tdm_openai_chunk *out)
{
    if (w->has_model && !tdm_jspan_label(&w->model, out->model, sizeof out->model))
        return false;
    if (w->has_finish && !tdm_jspan_label(&w->finish, out->finish_reason, sizeof out->finish_reason))
        return false;
    const message *m = w->delta.object ? &w->delta : w->whole.object ? &w->whole : NULL;
    out->whole = !w->delta.object && w->whole.object;
    static const tdm_jspan empty = {(const unsigned char *)"", 0, false};
    const tdm_jspan *content = m ? text_of(m, T_CONTENT) : NULL;
    const tdm_jspan *reasoning = m ? text_of(m, T_REASONING) : NULL;
    if (m && !reasoning)
        reasoning = text_of(m, T_REASONING_CONTENT);
    out->content = tdm_jspan_dup(content ? content : &empty, &out->content_len);
    out->reasoning = tdm_jspan_dup(reasoning ? reasoning : &empty, &out->reasoning_len);
    return out->content && out->reasoning;
}

bool tdm_openai_parse_fast(const char *data, size_t len, tdm_openai_chunk *out)
{
    memset(out, 0, sizeof *out);
    tdm_server_counters_init(&out->counters);
    if (!data)
        return false;
    tdm_jscan c = {(const unsigned char *)data, (const unsigned char *)data + len};
    walk w;
    memset(&w, 0, sizeof w);
    if (!tdm_jscan_eat(&c, '{') || !tdm_jscan_members(&c, top_member, &w))
        return false;
    if (!tdm_jscan_at_end(&c))
        return false; /* jansson refuses anything after the value */
    if (!fill(&w, out)) { /* out of memory: declined, as cleared as it came */
        free(out->content);
        free(out->reasoning);
        memset(out, 0, sizeof *out);
        tdm_server_counters_init(&out->counters);
        return false;
    }
    return true;
}
