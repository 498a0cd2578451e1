/* test_sim_request.c — generate/chat/show bodies and Go durations (src/sim/request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    static const struct { const char *body; bool chat; const char *msg; } cases[] = {
        {"", false, "missing request body"},
        {"  \n", false, "missing request body"},
        {"{\"prompt\":\"x\"}", false, "model is required"},
        {"{\"model\":\"\"}", false, "model is required"},
        {"{\"model\":\"m\"", false, "invalid JSON"},
        {"[1]", false, "json: cannot unmarshal array into Go value of type api.GenerateRequest"},
        {"{\"model\":5}", false, "json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"},
        {"{\"model\":\"m\",\"prompt\":[]}", false, "json: cannot unmarshal array into Go struct field GenerateRequest.prompt"},
        {"{\"model\":\"m\",\"stream\":\"yes\"}", false, "json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool"},
        {"{\"model\":\"m\",\"options\":[]}", false, "json: cannot unmarshal array"},
        {"{\"model\":\"m\",\"options\":{\"num_predict\":\"5\"}}", false, "option \"num_predict\" must be of type integer"},
        {"{\"model\":\"m\",\"keep_alive\":\"5 minutes\"}", false, "time: invalid duration \"5 minutes\""},
        {"{\"model\":\"m\",\"keep_alive\":true}", false, "Unsupported type: 'bool'"},
        {"{\"model\":\"m\",\"context\":[\"a\"]}", false, "GenerateRequest.context of type int"},
        {"{\"model\":\"m\",\"messages\":{}}", true, "ChatRequest.messages of type []api.Message"},
        {"{\"model\":\"m\",\"messages\":[1]}", true, "ChatRequest.messages of type api.Message"},
        {"{\"model\":\"m\",\"messages\":[{\"content\":1}]}", true, "Message.content of type string"},
        {"{\"model\":\"a\\u0000b\"}", false, "invalid model name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = gen(cases[i].body, cases[i].chat, &r);
        if (rc != -1 || strstr(err, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, cases[i].msg);
    }
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
        cmocka_unit_test(test_show),           cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
