/* fuzz_sse_openai.c — the bytes of a streamed OpenAI chat completion, as the client reads
 * them: the Server-Sent Events framer (src/core/sse.c), then each event's data through both
 * OpenAI chunk parsers (openai_fastchunk.c and the jansson path of openai_proto.c).
 *
 * Checks, on any input:
 * - the framer hands out the same events, the same final status and the same pending
 *   count whether the input comes whole, in pieces cut at input-derived points, or one
 *   byte at a time; every piece lies in a block of its own exact size, so a read past it
 *   is an AddressSanitizer error;
 * - an event holds no '\r', and no more than the limit; the framer never holds more than
 *   the limit of an event plus a line;
 * - the parser accepts an event with text strings of the lengths it says, or refuses it
 *   with a message that is valid UTF-8 (it goes into JSON records) and fields cleared; an
 *   error message it finds is a string; "[DONE]" is never taken for JSON;
 * - the fast path agrees with the jansson path: whatever it accepts, jansson accepts with
 *   the same fields, and whatever it declines it leaves cleared.
 * The whole input is parsed as one object as well (a non-streamed reply). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/ndjson.h"
#include "core/openai_proto.h"
#include "core/sse.h"
#include "core/utf8.h"
#include "fuzz_common.h"

/* The size of the err buffers the client passes (src/core/call_openai.c). */
#define ERRLEN 256
/* Longer inputs are framed but not also parsed whole: jansson's cost would slow the run. */
#define WHOLE_PARSE_MAX (64u * 1024u)

typedef struct sink {
    tdm_buf log;   /* each event as <length><bytes>, then the outcome */
    size_t events;
    size_t max_event;
    bool parse;    /* also run the parser on each event */
} sink;

/* Both paths on the same bytes: what the fast path takes, the jansson path must take with
 * the same fields; and the public parser must answer as the jansson path does. */
static void compare_paths(const char *data, size_t len, const tdm_openai_chunk *parsed, int rc)
{
    tdm_openai_chunk f, t;
    char err[ERRLEN];
    int rc_tree = tdm_openai_parse_tree(data, len, &t, err, sizeof err);
    FUZZ_CHECK(rc_tree == rc, "the public parser returned %d, the jansson path %d", rc, rc_tree);
    if (tdm_openai_parse_fast(data, len, &f)) {
        FUZZ_CHECK(rc_tree == 0, "the fast path accepted what the jansson path refuses (%s): %.*s", err, (int)len,
                   data);
        FUZZ_CHECK(f.content_len == t.content_len && f.reasoning_len == t.reasoning_len &&
                       memcmp(f.content, t.content, f.content_len + 1) == 0 &&
                       memcmp(f.reasoning, t.reasoning, f.reasoning_len + 1) == 0 && !f.error && !t.error &&
                       f.whole == t.whole && strcmp(f.model, t.model) == 0 &&
                       strcmp(f.finish_reason, t.finish_reason) == 0 &&
                       memcmp(&f.counters, &t.counters, sizeof f.counters) == 0,
                   "the fast path differs from the jansson path on: %.*s", (int)len, data);
    } else {
        FUZZ_CHECK(!f.content && !f.reasoning && !f.error && !f.whole && !f.model[0] && !f.finish_reason[0] &&
                       f.counters.eval_count == -1,
                   "the fast path declined but left fields set");
    }
    if (rc == 0 && rc_tree == 0)
        FUZZ_CHECK(parsed->content_len == t.content_len && memcmp(parsed->content, t.content, t.content_len) == 0 &&
                       (parsed->error == NULL) == (t.error == NULL) &&
                       memcmp(&parsed->counters, &t.counters, sizeof t.counters) == 0,
                   "the public parser differs from the jansson path on: %.*s", (int)len, data);
    tdm_openai_chunk_clear(&f);
    tdm_openai_chunk_clear(&t);
}

static void parse_one(const char *src, size_t len)
{
    char *data = fuzz_exact_copy(src, len);
    tdm_openai_chunk c;
    char err[ERRLEN];
    int rc = tdm_openai_parse(data, len, &c, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "parser returned %d", rc);
    compare_paths(data, len, &c, rc);
    if (rc == 0) {
        FUZZ_CHECK(c.content && c.reasoning, "accepted without text strings");
        FUZZ_CHECK(c.content[c.content_len] == '\0' && c.reasoning[c.reasoning_len] == '\0',
                   "text lengths do not match the strings");
        FUZZ_CHECK(err[0] == '\0', "accepted with an error message: %s", err);
        FUZZ_CHECK(strlen(c.finish_reason) < sizeof c.finish_reason, "finish_reason not terminated");
        FUZZ_CHECK(c.counters.total_duration_ns == -1 && c.counters.load_duration_ns == -1,
                   "set a counter no OpenAI server sends");
        FUZZ_CHECK(!tdm_openai_is_done(data, len), "took [DONE] for JSON");
    } else {
        FUZZ_CHECK(err[0] != '\0', "refused without an error message");
        FUZZ_CHECK(tdm_utf8_valid(err, strlen(err)), "error message is not valid UTF-8: %s", err);
        FUZZ_CHECK(!c.content && !c.reasoning && !c.error && c.counters.eval_count == -1,
                   "refused but left fields set");
    }
    tdm_openai_chunk_clear(&c);
    free(data);
}

static int on_event(void *ctx, const char *data, size_t len)
{
    sink *s = ctx;
    FUZZ_CHECK(len <= s->max_event, "event of %zu bytes beyond the limit %zu", len, s->max_event);
    FUZZ_CHECK(memchr(data, '\r', len) == NULL, "event holds a carriage return");
    uint64_t n = len;
    FUZZ_CHECK(tdm_buf_append(&s->log, &n, sizeof n) == 0 && tdm_buf_append(&s->log, data, len) == 0,
               "out of memory");
    s->events++;
    if (s->parse)
        parse_one(data, len);
    return 0;
}

/* Frames the input whole (step 0), one byte at a time (step 1) or in input-derived pieces
 * (step 2, salt picks the cutting), leaving the transcript in s->log. */
static void frame(const uint8_t *data, size_t len, size_t max_event, int step, uint64_t salt, sink *s)
{
    tdm_sse f;
    tdm_sse_init(&f, max_event);
    s->max_event = f.max_event;
    fuzz_split cut;
    fuzz_split_init(&cut, data, len, salt);
    int rc = 0;
    size_t at = 0;
    do {
        size_t n = fuzz_piece_len(step, &cut, len - at);
        char *piece = fuzz_exact_copy(data + at, n);
        rc = tdm_sse_feed(&f, piece, n, on_event, s);
        free(piece);
        at += n;
        if (rc == 0)
            FUZZ_CHECK(tdm_sse_pending(&f) <= 2 * f.max_event + 16, "framer holds %zu bytes",
                       tdm_sse_pending(&f));
    } while (rc == 0 && at < len);
    FUZZ_CHECK(rc == 0 || rc == TDM_SSE_ERR_TOO_LONG, "framer returned %d", rc);
    FUZZ_CHECK(f.events == s->events, "framer counts %zu events, handed out %zu", f.events, s->events);
    int64_t outcome[2] = {rc, rc == 0 ? (int64_t)tdm_sse_pending(&f) : -1};
    FUZZ_CHECK(tdm_buf_append(&s->log, outcome, sizeof outcome) == 0, "out of memory");
    tdm_sse_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* One input in four gets a small event limit, so the too-long paths are reached too. */
    fuzz_split pick;
    fuzz_split_init(&pick, data, len, 0);
    uint64_t r = fuzz_split_next(&pick);
    size_t max_event = (r & 3) == 0 ? (size_t)(r >> 8) % 256 + 1 : TDM_NDJSON_DEFAULT_MAX_LINE;

    sink ref = {.parse = true};
    frame(data, len, max_event, 0, 0, &ref);
    static const struct {
        int step;
        uint64_t salt;
    } runs[] = {{2, 1}, {2, 2}, {1, 0}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (runs[i].step == 1 && len > 4096)
            continue; /* byte by byte costs a call per byte: small inputs only */
        sink s = {0};
        frame(data, len, max_event, runs[i].step, runs[i].salt, &s);
        FUZZ_CHECK(s.log.len == ref.log.len && memcmp(s.log.data, ref.log.data, s.log.len) == 0,
                   "framing run %zu (step %d) differs from the whole feed", i, runs[i].step);
        tdm_buf_free(&s.log);
    }
    tdm_buf_free(&ref.log);
    if (len <= WHOLE_PARSE_MAX)
        parse_one((const char *)data, len);
    return 0;
}
