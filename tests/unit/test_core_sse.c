/* test_core_sse.c — unit tests for the Server-Sent Events framer (src/core/sse.c).
 *
 * The stream Ollama 0.11.4 sends for POST /v1/chat/completions (captured in
 * tests/e2e/captures/openai-chat-stream.txt, de-chunked) is fed at once, split in two at
 * every byte and one byte at a time: a transport may cut a read anywhere, between '\r'
 * and '\n' too, and the events handed out must be the same every time. Each piece lies
 * in a heap block of exactly its size, so a read past it is an error under ASan. Then
 * the rest of the grammar: line ends, comments, other fields, multi-line events, the
 * limit on an event's size, and a consumer that stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/sse.h"

#define CHUNK(content, finish)                                                                                    \
    "data: {\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,\"model\":"      \
    "\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","  \
    "\"content\":\"" content "\"},\"finish_reason\":" finish "}]}\n\n"
#define USAGE                                                                                                     \
    "data: {\"id\":\"chatcmpl-482\",\"object\":\"chat.completion.chunk\",\"created\":1795808203,\"model\":"      \
    "\"tiny\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,"                \
    "\"completion_tokens\":8,\"total_tokens\":10}}\n\n"

/* Ollama 0.11.4, max_tokens 8: eight content chunks, the finish chunk, usage, [DONE]. */
static const char CAPTURE[] = CHUNK(" ru", "null") CHUNK(" w", "null") CHUNK("p", "null") CHUNK(" t", "null")
    CHUNK("n", "null") CHUNK("?", "null") CHUNK("o", "null") CHUNK(" th", "null") CHUNK("", "\"length\"") USAGE
    "data: [DONE]\n\n";

#define MAX_EVENTS 64

typedef struct collected {
    char *events[MAX_EVENTS];
    size_t lens[MAX_EVENTS];
    size_t n;
    size_t stop_at; /* return 1 from the callback on this event (1-based); 0: never */
} collected;

static int collect(void *ctx, const char *data, size_t len)
{
    collected *c = ctx;
    assert_true(c->n < MAX_EVENTS);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    c->events[c->n] = copy;
    c->lens[c->n] = len;
    c->n++;
    return c->stop_at && c->n == c->stop_at ? 1 : 0;
}

static void collected_free(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->events[i]);
    c->n = 0;
}

/* Feeds data[0..n) as an exact-size heap copy. */
static int feed(tdm_sse *f, const char *data, size_t n, collected *c)
{
    char *piece = malloc(n ? n : 1);
    assert_non_null(piece);
    if (n)
        memcpy(piece, data, n);
    int rc = tdm_sse_feed(f, piece, n, collect, c);
    free(piece);
    return rc;
}

static void assert_events(const collected *c, const char *const *want, size_t nwant)
{
    assert_int_equal(c->n, nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(c->lens[i], strlen(want[i]));
        assert_memory_equal(c->events[i], want[i], c->lens[i]);
    }
}

/* The data of the capture's events, from the capture itself: its "data: " lines. */
static size_t capture_events(char **out, size_t max)
{
    size_t n = 0;
    for (const char *p = CAPTURE; (p = strstr(p, "data: ")) != NULL && n < max;) {
        p += 6;
        const char *e = strchr(p, '\n');
        out[n++] = strndup(p, (size_t)(e - p));
        p = e;
    }
    return n;
}

static void test_capture_whole_every_split_and_bytewise(void **state)
{
    (void)state;
    char *want[MAX_EVENTS];
    size_t nwant = capture_events(want, MAX_EVENTS);
    assert_int_equal(nwant, 11);
    assert_string_equal(want[10], "[DONE]");
    size_t n = sizeof CAPTURE - 1;
    /* two pieces, cut at every byte (cut 0 and n: the whole at once) */
    for (size_t cut = 0; cut <= n; cut++) {
        tdm_sse f;
        collected c = {0};
        tdm_sse_init(&f, 0);
        assert_int_equal(feed(&f, CAPTURE, cut, &c), TDM_SSE_OK);
        assert_int_equal(feed(&f, CAPTURE + cut, n - cut, &c), TDM_SSE_OK);
        assert_events(&c, (const char *const *)want, nwant);
        assert_int_equal(f.events, nwant);
        assert_int_equal(tdm_sse_pending(&f), 0);
        collected_free(&c);
        tdm_sse_free(&f);
    }
    /* one byte at a time */
    tdm_sse f;
    collected c = {0};
    tdm_sse_init(&f, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(feed(&f, CAPTURE + i, 1, &c), TDM_SSE_OK);
    assert_events(&c, (const char *const *)want, nwant);
    collected_free(&c);
    tdm_sse_free(&f);
    for (size_t i = 0; i < nwant; i++)
        free(want[i]);
}

/* The same events with every "\n" written as "\r\n", then as "\r": all three line ends
 * (and a "\r\n" cut between two reads) frame alike. */
static void test_line_ends_every_split(void **state)
{
    (void)state;
    const char lf[] = ": ping\ndata: a\ndata:b\n\nevent: x\nid: 7\nretry: 10\ndata: {\"k\":1}\n\ndata: [DONE]\n\n";
    const char *want[] = {"a\nb", "{\"k\":1}", "[DONE]"};
    for (int form = 0; form < 3; form++) {
        char text[256];
        size_t n = 0;
        for (const char *p = lf; *p; p++) {
            if (*p == '\n' && form == 1)
                text[n++] = '\r';
            text[n++] = (*p == '\n' && form == 2) ? '\r' : *p;
        }
        for (size_t cut = 0; cut <= n; cut++) {
            for (size_t cut2 = cut; cut2 <= n; cut2++) {
                tdm_sse f;
                collected c = {0};
                tdm_sse_init(&f, 0);
                assert_int_equal(feed(&f, text, cut, &c), TDM_SSE_OK);
                assert_int_equal(feed(&f, text + cut, cut2 - cut, &c), TDM_SSE_OK);
                assert_int_equal(feed(&f, text + cut2, n - cut2, &c), TDM_SSE_OK);
                assert_events(&c, want, 3);
                collected_free(&c);
                tdm_sse_free(&f);
            }
        }
    }
}

static void frame_all(const char *text, const char *const *want, size_t nwant)
{
    tdm_sse f;
    collected c = {0};
    tdm_sse_init(&f, 0);
    assert_int_equal(feed(&f, text, strlen(text), &c), TDM_SSE_OK);
    assert_events(&c, want, nwant);
    collected_free(&c);
    tdm_sse_free(&f);
}

static void test_fields_and_comments(void **state)
{
    (void)state;
    /* the space after the colon is optional; only one is dropped */
    frame_all("data:x\n\ndata: y\n\ndata:  z\n\n", (const char *[]){"x", "y", " z"}, 3);
    /* "data" without a colon is a data line with an empty value; so is "data:" */
    frame_all("data\n\ndata:\n\n", (const char *[]){"", ""}, 2);
    /* multi-line events: data lines joined by "\n", empty ones too */
    frame_all("data: a\ndata\ndata: c\n\n", (const char *[]){"a\n\nc"}, 1);
    /* comments, event:, id:, retry: and unknown fields are not data; an event without
     * data is not handed out, however many blank lines there are */
    frame_all(":comment\n\n: ping\nevent: message\nid: 1\nretry: 3000\nfoo: bar\ndatax: no\n\n\n\n",
              (const char *[]){NULL}, 0);
    /* a field name is exact: "Data" and " data" are unknown fields */
    frame_all("Data: a\n data: b\ndata: c\n\n", (const char *[]){"c"}, 1);
    /* an event still open when the feed ends is held, not handed out */
    tdm_sse f;
    collected c = {0};
    tdm_sse_init(&f, 0);
    assert_int_equal(feed(&f, "data: {\"a\":1}\ndata: [DO", 23, &c), TDM_SSE_OK);
    assert_int_equal(c.n, 0);
    assert_true(tdm_sse_pending(&f) > 0);
    assert_int_equal(feed(&f, "NE]\n\n", 5, &c), TDM_SSE_OK);
    assert_events(&c, (const char *[]){"{\"a\":1}\n[DONE]"}, 1);
    assert_int_equal(tdm_sse_pending(&f), 0);
    collected_free(&c);
    tdm_sse_free(&f);
}

/* An OpenAI error object as an event in the middle of the stream: framed like any other
 * event (what it means is the parser's business), at every split. */
static void test_error_event_mid_stream(void **state)
{
    (void)state;
    const char text[] = CHUNK("a", "null") "data: {\"error\":{\"message\":\"model runner crashed\","
                                           "\"type\":\"api_error\",\"param\":null,\"code\":null}}\n\n";
    size_t n = sizeof text - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        tdm_sse f;
        collected c = {0};
        tdm_sse_init(&f, 0);
        assert_int_equal(feed(&f, text, cut, &c), TDM_SSE_OK);
        assert_int_equal(feed(&f, text + cut, n - cut, &c), TDM_SSE_OK);
        assert_int_equal(c.n, 2);
        assert_non_null(strstr(c.events[1], "model runner crashed"));
        collected_free(&c);
        tdm_sse_free(&f);
    }
}

/* An event over max_event bytes is an error (whether its bytes come in one line, in
 * several data lines or in a line that never ends), and it stays one; exactly max_event
 * bytes pass. */
static void test_oversized_event(void **state)
{
    (void)state;
    char exact[64], over[64];
    snprintf(exact, sizeof exact, "data: %s\n\n", "0123456789abcdef");  /* 16 bytes */
    snprintf(over, sizeof over, "data: %s\n\n", "0123456789abcdefg");   /* 17 bytes */
    const char *split_over = "data: 01234567\ndata: 89abcdef\n\n";    /* 8 + 1 + 8 = 17 */
    const char *cases[] = {over, split_over};
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(cases[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            tdm_sse f;
            collected c = {0};
            tdm_sse_init(&f, 16);
            int rc = feed(&f, cases[k], cut, &c);
            if (rc == TDM_SSE_OK)
                rc = feed(&f, cases[k] + cut, n - cut, &c);
            assert_int_equal(rc, TDM_SSE_ERR_TOO_LONG);
            assert_int_equal(c.n, 0);
            /* sticky: nothing more is framed */
            assert_int_equal(feed(&f, "data: x\n\n", 9, &c), TDM_SSE_ERR_TOO_LONG);
            assert_int_equal(c.n, 0);
            tdm_sse_free(&f);
        }
    }
    tdm_sse f;
    collected c = {0};
    tdm_sse_init(&f, 16);
    assert_int_equal(feed(&f, exact, strlen(exact), &c), TDM_SSE_OK);
    assert_events(&c, (const char *[]){"0123456789abcdef"}, 1);
    collected_free(&c);
    tdm_sse_free(&f);
    /* a line that never ends cannot make the framer hold more than its limit */
    tdm_sse_init(&f, 16);
    int rc = TDM_SSE_OK;
    size_t fed = 0;
    while (rc == TDM_SSE_OK && fed < 1000) {
        rc = feed(&f, ": aaaaaaa", 9, &c);
        fed += 9;
    }
    assert_int_equal(rc, TDM_SSE_ERR_TOO_LONG);
    assert_true(fed < 64);
    assert_int_equal(tdm_sse_pending(&f), 0);
    tdm_sse_free(&f);
}

/* A consumer that stops: the rest of that feed is dropped. */
static void test_callback_stops(void **state)
{
    (void)state;
    tdm_sse f;
    collected c = {.stop_at = 1};
    tdm_sse_init(&f, 0);
    assert_int_equal(feed(&f, "data: [DONE]\n\ndata: after\n\n", 27, &c), 1);
    assert_events(&c, (const char *[]){"[DONE]"}, 1);
    assert_int_equal(tdm_sse_pending(&f), 0);
    collected_free(&c);
    tdm_sse_free(&f);
    /* empty feeds change nothing, NULL included */
    tdm_sse_init(&f, 0);
    assert_int_equal(tdm_sse_feed(&f, NULL, 0, collect, &c), TDM_SSE_OK);
    tdm_sse_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_whole_every_split_and_bytewise),
        cmocka_unit_test(test_line_ends_every_split),
        cmocka_unit_test(test_fields_and_comments),
        cmocka_unit_test(test_error_event_mid_stream),
        cmocka_unit_test(test_oversized_event),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
