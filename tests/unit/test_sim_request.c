/* test_sim_request.c — generate/chat/show bodies and Go durations (src/sim/request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/request.h"

static char err[512];

static int gen(const char *body, bool chat, tdm_sim_genreq *r)
{
    err[0] = '\0';
    return tdm_sim_genreq_parse(body, strlen(body), chat, r, err, sizeof err);
}

static void test_generate_basic(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    assert_int_equal(gen("{\"model\":\"gemma3\",\"prompt\":\"hello world\"}", false, &r), 0);
    assert_string_equal(r.model, "gemma3");
    assert_true(r.stream);
    assert_false(r.empty);
    assert_int_equal(r.prompt_tokens, 4);
    assert_int_equal(r.n_ids, 4);
    assert_int_equal(r.num_predict, 0);
    assert_false(r.has_keep_alive);
    uint64_t h = r.prompt_hash;
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"x\",\"prompt\":\"hello world\",\"stream\":false,"
                         "\"options\":{\"num_predict\":12,\"seed\":7,\"temperature\":0},"
                         "\"keep_alive\":\"10m\",\"system\":\"be brief\",\"context\":[1,2,3]}",
                         false, &r), 0);
    assert_false(r.stream);
    assert_int_equal(r.num_predict, 12);
    assert_true(r.has_seed);
    assert_int_equal(r.seed, 7);
    assert_int_equal(r.keep_alive_ns, 600LL * 1000000000LL);
    assert_int_equal(r.prompt_tokens, 3 + 3 + 4); /* context + "be brief" + prompt */
    assert_int_equal(r.ids[0], 1);
    assert_int_equal(r.ids[2], 3);
    assert_true(r.prompt_hash != h); /* the system prompt is part of it */
    tdm_sim_genreq_free(&r);
}

static void test_generate_empty_and_keep_alive(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    assert_int_equal(gen("{\"model\":\"m\"}", false, &r), 0);
    assert_true(r.empty);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"prompt\":\"\",\"keep_alive\":0}", false, &r), 0);
    assert_true(r.empty && r.has_keep_alive && r.keep_alive_ns == 0);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"keep_alive\":-1}", false, &r), 0);
    assert_true(r.keep_alive_ns == TDM_SIM_FOREVER);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"keep_alive\":\"-5m\"}", false, &r), 0);
    assert_true(r.keep_alive_ns == TDM_SIM_FOREVER);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"keep_alive\":1.5}", false, &r), 0);
    assert_true(r.keep_alive_ns == 1500000000LL);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"keep_alive\":null,\"options\":{\"num_predict\":-1}}", false, &r), 0);
    assert_false(r.has_keep_alive);
    assert_int_equal(r.num_predict, 0); /* -1: until the model stops */
    tdm_sim_genreq_free(&r);
}

static void test_chat(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    assert_int_equal(gen("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                         "{\"role\":\"user\",\"content\":\"hello world\"}]}", true, &r), 0);
    assert_true(r.chat);
    assert_false(r.empty);
    assert_int_equal(r.prompt_tokens, (4 + 3) + (4 + 4));
    assert_null(r.ids);
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("{\"model\":\"m\",\"messages\":[]}", true, &r), 0);
    assert_true(r.empty);
    tdm_sim_genreq_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    /* Ollama 0.11.4's 400 messages (Go's encoding/json and api types), as the real server
     * sent them (tests/e2e/test_sim_parity.py compares them live). */
    static const struct { const char *body; bool chat; const char *msg; } cases[] = {
        {"", false, "missing request body"},
        {"  \n", false, "missing request body"},
        {"{\"model\":\"\"}", true, "model is required"},
        {"{\"messages\":[]}", true, "model is required"},
        {"null", true, "model is required"},
        {"{\"model\":\"a b\"}", true, "model is required"},
        {"{\"model\":\"m\"", false, "unexpected EOF"},
        {"{not json", false, "invalid character 'n' looking for beginning of object key string"},
        {"[1]", false, "json: cannot unmarshal array into Go value of type api.GenerateRequest"},
        {"\"s\"", true, "json: cannot unmarshal string into Go value of type api.ChatRequest"},
        {"{\"model\":5}", false, "json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"},
        {"{\"model\":\"m\",\"prompt\":[]}", false, "json: cannot unmarshal array into Go struct field GenerateRequest.prompt of type string"},
        {"{\"model\":\"m\",\"stream\":\"yes\"}", false, "json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool"},
        {"{\"model\":\"m\",\"options\":[]}", false, "json: cannot unmarshal array into Go struct field GenerateRequest.options of type map[string]interface {}"},
        {"{\"model\":\"m\",\"keep_alive\":\"5 minutes\"}", false, "time: invalid duration \"5 minutes\""},
        {"{\"model\":\"m\",\"keep_alive\":true}", false, "Unsupported type: 'bool'"},
        {"{\"model\":\"m\",\"keep_alive\":[]}", false, "Unsupported type: '[]interface {}'"},
        /* keep_alive's own unmarshaler fails at once, before a type mismatch is reported */
        {"{\"stream\":1,\"keep_alive\":\"x\"}", false, "time: invalid duration \"x\""},
        {"{\"model\":\"m\",\"context\":[\"a\"]}", false, "json: cannot unmarshal string into Go struct field GenerateRequest.context of type int"},
        {"{\"model\":\"m\",\"messages\":{}}", true, "json: cannot unmarshal object into Go struct field ChatRequest.messages of type []api.Message"},
        {"{\"model\":\"m\",\"messages\":[1]}", true, "json: cannot unmarshal number into Go struct field ChatRequest.messages of type api.Alias"},
        {"{\"model\":\"m\",\"messages\":[{\"content\":1}]}", true, "json: cannot unmarshal number into Go struct field ChatRequest.messages.content of type string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = gen(cases[i].body, cases[i].chat, &r);
        if (rc != -1 || strcmp(err, cases[i].msg) != 0)
            fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, cases[i].msg);
    }
}

/* What Ollama accepts at bind time and refuses later (404 / 500, see gen.c). */
static void test_deferred(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    /* generate without a model: 404 "model '' not found" later, not a 400 */
    assert_int_equal(gen("{\"prompt\":\"x\"}", false, &r), 0);
    assert_string_equal(r.model, "");
    tdm_sim_genreq_free(&r);
    assert_int_equal(gen("null", false, &r), 0);
    assert_string_equal(r.model, "");
    assert_true(r.empty && r.stream);
    tdm_sim_genreq_free(&r);
    /* a wrong option type is a 500 once the model is known */
    assert_int_equal(gen("{\"model\":\"m\",\"options\":{\"num_predict\":\"5\",\"seed\":3}}", false, &r), 0);
    assert_string_equal(r.opt_error, "option \"num_predict\" must be of type integer");
    assert_true(r.has_seed && r.seed == 3);
    tdm_sim_genreq_free(&r);
    static const struct { const char *opts, *msg; } opts[] = {
        {"{\"temperature\":\"hot\"}", "option \"temperature\" must be of type float32"},
        {"{\"use_mmap\":1}", "option \"use_mmap\" must be of type boolean"},
        {"{\"stop\":\"x\"}", "option \"stop\" must be of type array"},
        {"{\"stop\":[1]}", "option \"stop\" must be of an array of strings"},
        {"{\"num_ctx\":true}", "option \"num_ctx\" must be of type integer"},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"model\":\"m\",\"options\":%s}", opts[i].opts);
        assert_int_equal(gen(body, false, &r), 0);
        if (!r.opt_error || strcmp(r.opt_error, opts[i].msg) != 0)
            fail_msg("%s: got '%s'", opts[i].opts, r.opt_error ? r.opt_error : "(none)");
        tdm_sim_genreq_free(&r);
    }
    /* unknown options are ignored; a fraction is truncated, as Go's int conversion does */
    assert_int_equal(gen("{\"model\":\"m\",\"options\":{\"bogus\":\"x\",\"num_predict\":2.7}}", false, &r), 0);
    assert_null(r.opt_error);
    assert_int_equal(r.num_predict, 2);
    tdm_sim_genreq_free(&r);
}

/* json.Decoder: field names match case-insensitively; only the first value is read. */
static void test_go_decoding(void **state)
{
    (void)state;
    tdm_sim_genreq r;
    assert_int_equal(gen("{\"Model\":\"Tiny\",\"PROMPT\":\"hi there\",\"Stream\":false,"
                         "\"Options\":{\"num_predict\":4}} and then junk", false, &r), 0);
    assert_string_equal(r.model, "Tiny");
    assert_false(r.stream);
    assert_false(r.empty);
    assert_int_equal(r.num_predict, 4);
    tdm_sim_genreq_free(&r);
    /* the last of several matching keys wins */
    assert_int_equal(gen("{\"model\":\"a\",\"MODEL\":\"b\"}", false, &r), 0);
    assert_string_equal(r.model, "b");
    tdm_sim_genreq_free(&r);
    assert_true(tdm_sim_model_name_valid("library/gemma3:4b-it_q4.K-M"));
    assert_false(tdm_sim_model_name_valid(""));
    assert_false(tdm_sim_model_name_valid("a b"));
    assert_false(tdm_sim_model_name_valid("x\"y"));
}

static void test_show(void **state)
{
    (void)state;
    char *m;
    assert_int_equal(tdm_sim_showreq_parse("{\"model\":\"a\"}", 13, &m, err, sizeof err), 0);
    assert_string_equal(m, "a");
    free(m);
    assert_int_equal(tdm_sim_showreq_parse("{\"name\":\"b\"}", 12, &m, err, sizeof err), 0);
    assert_string_equal(m, "b");
    free(m);
    assert_int_equal(tdm_sim_showreq_parse("{}", 2, &m, err, sizeof err), -1);
    assert_string_equal(err, "model is required");
    assert_null(m);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct { const char *s; int64_t ns; } ok[] = {
        {"0", 0}, {"5m", 300000000000LL}, {"1h30m", 5400000000000LL}, {"300ms", 300000000LL},
        {"1.5s", 1500000000LL}, {"-1m", -60000000000LL}, {"+2s", 2000000000LL},
        {"10us", 10000LL}, {"10\xc2\xb5s", 10000LL}, {"7ns", 7}, {".5s", 500000000LL},
        {"1h1m1s1ms1us1ns", 3661001001001LL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ns = -999;
        if (tdm_sim_parse_duration(ok[i].s, &ns) != 0 || ns != ok[i].ns)
            fail_msg("'%s': got %lld", ok[i].s, (long long)ns);
    }
    static const char *const bad[] = {"", "5", "m", "5x", "1.2.3s", "-", "5 m", "1e3s", "9999999999h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns;
        if (tdm_sim_parse_duration(bad[i], &ns) == 0)
            fail_msg("'%s' accepted", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_basic), cmocka_unit_test(test_generate_empty_and_keep_alive),
        cmocka_unit_test(test_chat),           cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deferred),       cmocka_unit_test(test_go_decoding),
        cmocka_unit_test(test_show),           cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
