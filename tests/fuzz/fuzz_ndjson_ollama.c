/* fuzz_ndjson_ollama.c — the bytes of a streamed Ollama response, as the client reads
 * them: the NDJSON framer (src/core/ndjson.c), then each line through both Ollama line
 * parsers (ollama_fastline.c and the jansson path of ollama_proto.c).
 *
 * Checks, on any input:
 * - the framer hands out the same lines, the same final status and the same pending tail
 *   whether the input comes whole, in pieces cut at input-derived points, or one byte at a
 *   time, in each of its three modes (copy, in place, spans); every piece lies in a block
 *   of its own exact size, so a read past it is an AddressSanitizer error;
 * - every line is non-empty and holds no '\n'; copy and in-place lines are NUL-terminated;
 * - the fast path agrees with the jansson path: whatever it accepts, jansson accepts with
 *   the same fields, its appending form takes the same lines and appends the same text, and
 *   tdm_ollama_parse_line gives what jansson gives;
 * - a refused line gets an error message that is valid UTF-8 (it goes into JSON records).
 * The whole input is parsed as one line as well (a non-streamed body). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/ndjson.h"
#include "core/ollama_proto.h"
#include "core/utf8.h"
#include "fuzz_common.h"

/* The size of the err buffers the client passes (src/core/call.c). */
#define ERRLEN 256
/* Longer inputs are framed but not also parsed whole: jansson's cost would slow the run. */
#define WHOLE_PARSE_MAX (64u * 1024u)

enum mode { M_COPY, M_INPLACE, M_SPANS };

typedef struct sink {
    tdm_buf log;     /* each line as <length><bytes>, then the outcome */
    size_t lines;
    bool terminated; /* the mode promises line[len] == '\0' */
    bool parse;      /* also run the line parsers on each line */
} sink;

static void same_line(const tdm_ollama_line *a, const tdm_ollama_line *b, const char *what,
                      const char *line, size_t len)
{
    FUZZ_CHECK(a->done == b->done && a->content_len == b->content_len &&
                   a->thinking_len == b->thinking_len &&
                   memcmp(a->content, b->content, a->content_len + 1) == 0 &&
                   memcmp(a->thinking, b->thinking, a->thinking_len + 1) == 0 &&
                   (a->error == NULL) == (b->error == NULL) &&
                   (!a->error || strcmp(a->error, b->error) == 0) &&
                   strcmp(a->done_reason, b->done_reason) == 0 && strcmp(a->model, b->model) == 0 &&
                   memcmp(&a->counters, &b->counters, sizeof a->counters) == 0,
               "%s differs from the jansson path on: %.*s", what, (int)len, line);
}

static void cleared(const tdm_ollama_line *l, const char *what)
{
    FUZZ_CHECK(!l->content && !l->thinking && !l->error && !l->done && l->counters.eval_count == -1,
               "%s declined a line but left fields set", what);
}

/* Both parse paths on one line, which lies in a block of exactly len bytes. */
static void compare_paths(const char *src, size_t len)
{
    char *line = fuzz_exact_copy(src, len);
    tdm_ollama_line fast, tree, app, whole;
    char err[ERRLEN], err2[ERRLEN];

    bool took = tdm_ollama_parse_fast(line, len, &fast);
    int rc = tdm_ollama_parse_tree(line, len, &tree, err, sizeof err);
    tdm_buf text = {0};
    FUZZ_CHECK(tdm_buf_append_str(&text, "before") == 0, "out of memory");
    bool took_app = tdm_ollama_parse_fast_append(line, len, &app, &text);
    int rc_line = tdm_ollama_parse_line(line, len, &whole, err2, sizeof err2);

    FUZZ_CHECK(took_app == took, "the two fast forms disagree on: %.*s", (int)len, line);
    FUZZ_CHECK(rc == 0 || rc == -1, "tree path returned %d", rc);
    FUZZ_CHECK(rc_line == rc, "parse_line returned %d, the tree path %d, on: %.*s", rc_line, rc,
               (int)len, line);
    if (rc == 0) {
        FUZZ_CHECK(tree.content && tree.thinking, "accepted line without content strings");
        FUZZ_CHECK(err[0] == '\0', "accepted line with an error message: %s", err);
        same_line(&whole, &tree, "parse_line", line, len);
    } else {
        FUZZ_CHECK(err[0] != '\0', "refused line without an error message");
        FUZZ_CHECK(tdm_utf8_valid(err, strlen(err)), "error message is not valid UTF-8: %s", err);
        FUZZ_CHECK(strcmp(err, err2) == 0, "parse_line's message differs: %s / %s", err, err2);
        cleared(&tree, "the tree path");
    }
    if (took) {
        FUZZ_CHECK(rc == 0, "fast path accepted a line jansson refuses (%s): %.*s", err, (int)len,
                   line);
        same_line(&fast, &tree, "the fast path", line, len);
        FUZZ_CHECK(!app.content && !app.thinking, "appending form allocated the text");
        FUZZ_CHECK(app.content_len == tree.content_len && app.thinking_len == tree.thinking_len &&
                       app.done == tree.done &&
                       memcmp(&app.counters, &tree.counters, sizeof app.counters) == 0 &&
                       strcmp(app.model, tree.model) == 0 &&
                       strcmp(app.done_reason, tree.done_reason) == 0,
                   "appending form differs from the jansson path on: %.*s", (int)len, line);
        FUZZ_CHECK(text.len == 6 + tree.content_len && memcmp(text.data, "before", 6) == 0 &&
                       memcmp(text.data + 6, tree.content, tree.content_len + 1) == 0,
                   "appending form appended other text on: %.*s", (int)len, line);
    } else {
        cleared(&fast, "the fast path");
        cleared(&app, "the appending form");
        FUZZ_CHECK(text.len == 6, "appending form declined but changed the text");
    }
    tdm_buf_free(&text);
    tdm_ollama_line_clear(&fast);
    tdm_ollama_line_clear(&tree);
    tdm_ollama_line_clear(&app);
    tdm_ollama_line_clear(&whole);
    free(line);
}

static int on_line(void *ctx, const char *line, size_t len)
{
    sink *s = ctx;
    FUZZ_CHECK(len > 0, "empty line handed out");
    FUZZ_CHECK(memchr(line, '\n', len) == NULL, "line holds a newline");
    if (s->terminated)
        FUZZ_CHECK(line[len] == '\0', "line not NUL-terminated");
    uint64_t n = len;
    FUZZ_CHECK(tdm_buf_append(&s->log, &n, sizeof n) == 0 && tdm_buf_append(&s->log, line, len) == 0,
               "out of memory");
    s->lines++;
    if (s->parse)
        compare_paths(line, len);
    return 0;
}

static int feed(tdm_ndjson *f, enum mode m, char *piece, size_t n, sink *s)
{
    switch (m) {
    case M_COPY: return tdm_ndjson_feed(f, piece, n, on_line, s);
    case M_INPLACE: return tdm_ndjson_feed_inplace(f, piece, n, on_line, s);
    default: return tdm_ndjson_feed_spans(f, piece, n, on_line, s);
    }
}

/* Frames the input in mode m: whole (step 0), one byte at a time (step 1), or in
 * input-derived pieces (step 2, salt picks the cutting). Leaves the transcript in s->log. */
static void frame(const uint8_t *data, size_t len, size_t max_line, enum mode m, int step,
                  uint64_t salt, sink *s)
{
    tdm_ndjson f;
    tdm_ndjson_init(&f, max_line);
    s->terminated = m != M_SPANS;
    fuzz_split cut;
    fuzz_split_init(&cut, data, len, salt);
    int rc = 0;
    size_t at = 0;
    do {
        size_t n = fuzz_piece_len(step, &cut, len - at);
        char *piece = fuzz_exact_copy(data + at, n);
        rc = feed(&f, m, piece, n, s);
        free(piece);
        at += n;
    } while (rc == 0 && at < len);
    FUZZ_CHECK(rc == 0 || rc == TDM_NDJSON_ERR_TOO_LONG, "framer returned %d", rc);
    FUZZ_CHECK(f.lines == s->lines, "framer counts %zu lines, handed out %zu", f.lines, s->lines);
    if (rc == 0)
        FUZZ_CHECK(tdm_ndjson_pending(&f) <= max_line + 1, "pending tail beyond the limit");
    int64_t outcome[2] = {rc, rc == 0 ? (int64_t)tdm_ndjson_pending(&f) : -1};
    FUZZ_CHECK(tdm_buf_append(&s->log, outcome, sizeof outcome) == 0, "out of memory");
    tdm_ndjson_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* One input in four gets a small line limit, so the too-long paths are reached too. */
    fuzz_split pick;
    fuzz_split_init(&pick, data, len, 0);
    uint64_t r = fuzz_split_next(&pick);
    size_t max_line = (r & 3) == 0 ? (size_t)(r >> 8) % 256 + 1 : TDM_NDJSON_DEFAULT_MAX_LINE;

    sink ref = {.parse = true};
    frame(data, len, max_line, M_COPY, 0, 0, &ref);

    static const struct {
        enum mode m;
        int step;
        uint64_t salt;
    } runs[] = {
        {M_INPLACE, 0, 0}, {M_SPANS, 0, 0},   {M_COPY, 2, 1},
        {M_INPLACE, 2, 2}, {M_SPANS, 2, 3},   {M_SPANS, 1, 0},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        if (runs[i].step == 1 && len > 4096)
            continue; /* byte by byte costs a call per byte: small inputs only */
        sink s = {0};
        frame(data, len, max_line, runs[i].m, runs[i].step, runs[i].salt, &s);
        FUZZ_CHECK(s.log.len == ref.log.len && memcmp(s.log.data, ref.log.data, s.log.len) == 0,
                   "framing run %zu (mode %d, step %d) differs from the whole copy", i,
                   (int)runs[i].m, runs[i].step);
        tdm_buf_free(&s.log);
    }
    tdm_buf_free(&ref.log);

    if (len <= WHOLE_PARSE_MAX)
        compare_paths((const char *)data, len);
    return 0;
}
