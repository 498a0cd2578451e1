/* test_sim_config.c — tandem-sim's command line (src/sim/config.c): defaults, ports and
 * devices, faults by port and by index, and error messages that name the flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/config.h"

static tdm_sim_config cfg;
static char err[512];

/* Parses a NULL-terminated list of arguments (argv[0] is added). */
static int parse(const char *first, ...)
{
    char *argv[64] = {"tandem-sim"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    tdm_sim_config_defaults(&cfg);
    err[0] = '\0';
    FILE *out = fopen("/dev/null", "w");
    int r = tdm_sim_config_parse(&cfg, argc, argv, out, err, sizeof err);
    fclose(out);
    return r;
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), TDM_SIM_CLI_RUN);
    assert_string_equal(cfg.host, "127.0.0.1");
    assert_int_equal(cfg.nports, 1);
    assert_int_equal(cfg.ports[0].port, 11434);
    assert_string_equal(cfg.ports[0].device, "dev0");
    assert_int_equal(cfg.nmodels, 2);
    assert_string_equal(cfg.models[0], "gemma3:latest");
    assert_string_equal(cfg.models[1], "tiny:latest");
    assert_string_equal(cfg.version, "0.11.4");
    assert_true(cfg.alpha == 1.0);
    assert_int_equal(cfg.keep_alive_ns, 300000000000LL);
    assert_true(cfg.sched_ms == 1.0); /* a warm load_duration is never 0, as in Ollama */
    assert_int_equal(cfg.ports[0].faults.stall, -1);
    assert_false(cfg.ports[0].faults.refuse);
}

static void test_ports_and_devices(void **state)
{
    (void)state;
    assert_int_equal(parse("--port", "11434@gpu0", "--port=11435@gpu0", "--port", "0",
                           "--decode-tps", "50", "--alpha=0.5", "--model", "llama3.2",
                           "--seed", "42", "--utf8", "--keep-alive", "-1m", "--load-ms", "1500",
                           "--version-string", "0.12.0", "--emit-log", "/tmp/e",
                           "--ready-file", "/tmp/r", "--max-body-bytes", "1M",
                           "--sched-ms", "2.5", NULL),
                     TDM_SIM_CLI_RUN);
    assert_int_equal(cfg.nports, 3);
    assert_string_equal(cfg.ports[0].device, "gpu0");
    assert_string_equal(cfg.ports[1].device, "gpu0");
    assert_int_equal(cfg.ports[1].port, 11435);
    assert_string_equal(cfg.ports[2].device, "dev2");
    assert_true(cfg.decode_tps == 50 && cfg.alpha == 0.5 && cfg.load_ms == 1500);
    assert_int_equal(cfg.nmodels, 1);
    assert_int_equal(cfg.seed, 42);
    assert_true(cfg.utf8);
    assert_true(cfg.keep_alive_ns == INT64_MAX);
    assert_string_equal(cfg.version, "0.12.0");
    assert_string_equal(cfg.emit_log, "/tmp/e");
    assert_string_equal(cfg.ready_file, "/tmp/r");
    assert_int_equal(cfg.max_body, 1024 * 1024);
    assert_true(cfg.sched_ms == 2.5);
}

static void test_faults(void **state)
{
    (void)state;
    assert_int_equal(parse("--port", "0", "--port", "0", "--port", "7000",
                           "--fault", "#0:stall:3", "--fault", "#1:refuse", "--fault",
                           "7000:oversized:16MiB", "--fault", "7000:slow-headers:250",
                           "--fault", "#1:utf8-split", "--fault", "#0:error-line:0",
                           "--fault=#0:disconnect:9", "--fault", "#2:malformed:2",
                           "--fault", "#2:404", "--fault", "#2:500", "--fault", "#1:error-event:4",
                           NULL),
                     TDM_SIM_CLI_RUN);
    assert_int_equal(cfg.ports[1].faults.error_event, 4);
    assert_int_equal(cfg.ports[0].faults.error_event, -1);
    assert_int_equal(cfg.ports[0].faults.stall, 3);
    assert_int_equal(cfg.ports[0].faults.error_line, 0);
    assert_int_equal(cfg.ports[0].faults.disconnect, 9);
    assert_true(cfg.ports[1].faults.refuse);
    assert_true(cfg.ports[1].faults.utf8_split);
    assert_int_equal(cfg.ports[2].faults.oversized, 16 * 1024 * 1024);
    assert_int_equal(cfg.ports[2].faults.slow_headers_ms, 250);
    assert_int_equal(cfg.ports[2].faults.malformed, 2);
    assert_true(cfg.ports[2].faults.not_found && cfg.ports[2].faults.server_error);
    assert_int_equal(cfg.ports[1].faults.stall, -1);
}

static void test_errors_name_the_flag(void **state)
{
    (void)state;
    static const struct { const char *a, *b; const char *want; } cases[] = {
        {"--bogus", NULL, "unknown option '--bogus'"},
        {"--decode-tps", "0", "--decode-tps"},
        {"--decode-tps", "fast", "--decode-tps: 'fast'"},
        {"--alpha", "-1", "--alpha"},
        {"--port", "70000", "--port: '70000'"},
        {"--port", "1@bad name", "--port: device name"},
        {"--port", "@gpu", "--port"},
        {"--fault", "11434:stall", "mode 'stall' needs an argument"},
        {"--fault", "11434:refuse:1", "takes no argument"},
        {"--fault", "11434:explode", "unknown mode 'explode'"},
        {"--fault", "9:404", "port 9 is not one of the --port options"},
        {"--fault", "#5:404", "'#5' names no port"},
        {"--fault", "11434", "must be PORT:MODE"},
        {"--fault", "11434:oversized:10", "byte count"},
        {"--keep-alive", "soon", "--keep-alive: 'soon'"},
        {"--seed", "x", "--seed"},
        {"--model", "has space", "--model"},
        {"--tokens-mean", "0", "--tokens-mean"},
        {"--max-body-bytes", "10", "--max-body-bytes"},
        {"stray", NULL, "unexpected argument 'stray'"},
        {"--port", NULL, "--port needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = parse(cases[i].a, cases[i].b, NULL);
        if (r != TDM_SIM_CLI_ERROR || !strstr(err, cases[i].want))
            fail_msg("case %zu: r=%d err='%s' want '%s'", i, r, err, cases[i].want);
    }
    /* The same port number twice: a fault must use #N. */
    assert_int_equal(parse("--port", "0", "--port", "0", "--fault", "0:404", NULL), TDM_SIM_CLI_ERROR);
    assert_non_null(strstr(err, "use #N"));
}

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(parse("--help", NULL), TDM_SIM_CLI_EXIT);
    assert_int_equal(parse("--version", NULL), TDM_SIM_CLI_EXIT);
    char buf[16384] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    tdm_sim_print_help(f);
    fclose(f);
    const char *must[] = {"--port 11434@gpu0 --port 11435@gpu0 --decode-tps 50 --alpha 1",
                          "refuse", "error-line:N", "error-event:N", "disconnect:N", "stall:N", "malformed:N",
                          "oversized:BYTES", "utf8-split", "slow-headers:MS", "--emit-log",
                          "--ready-file", "--version-string", "--utf8", "--tokens-sd"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(buf, must[i]))
            fail_msg("--help lacks '%s'", must[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),  cmocka_unit_test(test_ports_and_devices),
        cmocka_unit_test(test_faults),    cmocka_unit_test(test_errors_name_the_flag),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
