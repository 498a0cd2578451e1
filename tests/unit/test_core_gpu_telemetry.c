/* test_core_gpu_telemetry.c — the run side of GPU telemetry, against small shell
 * stand-ins for tandem-gpu-telemetry written into a temporary directory: the mode names,
 * where the program is looked for, what `info` becomes in provenance (on, unavailable with
 * the reason, "on" refused with the fix), a sampler started, stopped and its gpu.csv
 * there, a sampler that dies or never starts recorded with its status and stderr, and
 * subprocess capture (output, exit status, a hung child stopped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/gpu_telemetry.h"
#include "core/subproc.h"

static char dir[] = "/tmp/tdm-gputest-XXXXXX";

static char *path_in(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *write_script(const char *name, const char *body)
{
    char *p = path_in(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    chmod(p, 0755);
    return p;
}

/* A stand-in that has a GPU: info answers, sample writes until SIGTERM, then renames. */
static const char good_tool[] =
    "case \"$1\" in\n"
    "info) echo '{\"source\": \"nvml\", \"driver_version\": \"550.54.15\", \"cuda_driver_version\": \"12.4\", "
    "\"gpus\": [{\"index\": 0, \"name\": \"Test GPU\"}]}'; exit 0;;\n"
    "sample) out=$3; ready=$7\n"
    "  echo t_mono_ns,gpu > \"$out.partial\"\n"
    "  trap 'mv \"$out.partial\" \"$out\"; exit 0' TERM\n"
    "  : > \"$ready\"\n"
    "  while :; do sleep 0.01; done;;\n"
    "esac\n"
    "exit 2\n";

static void clean_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_mode_names(void **state)
{
    (void)state;
    tdm_gpu_mode m;
    assert_int_equal(tdm_gpu_mode_parse("auto", &m), 0);
    assert_int_equal(m, TDM_GPU_AUTO);
    assert_int_equal(tdm_gpu_mode_parse("on", &m), 0);
    assert_int_equal(m, TDM_GPU_ON);
    assert_int_equal(tdm_gpu_mode_parse("off", &m), 0);
    assert_int_equal(m, TDM_GPU_OFF);
    assert_int_equal(tdm_gpu_mode_parse("yes", &m), -1);
    assert_int_equal(tdm_gpu_mode_parse("", &m), -1);
    assert_int_equal(tdm_gpu_mode_parse(NULL, &m), -1);
    assert_string_equal(tdm_gpu_mode_name(TDM_GPU_AUTO), "auto");
    assert_string_equal(tdm_gpu_mode_name((tdm_gpu_mode)7), "off");
}

static void test_tool_find(void **state)
{
    (void)state;
    clean_dir();
    char err[512];
    char *tool = write_script("tandem-gpu-telemetry", good_tool);
    char *self = path_in("tandem-smol");
    /* the environment wins */
    setenv("TANDEM_GPU_TELEMETRY", tool, 1);
    char *p = tdm_gpu_tool_find("/nowhere/tandem-smol", err, sizeof err);
    assert_string_equal(p, tool);
    free(p);
    setenv("TANDEM_GPU_TELEMETRY", "/nonexistent/tool", 1);
    assert_null(tdm_gpu_tool_find(self, err, sizeof err));
    assert_non_null(strstr(err, "TANDEM_GPU_TELEMETRY=/nonexistent/tool is not an executable file"));
    unsetenv("TANDEM_GPU_TELEMETRY");
    /* beside the running binary */
    p = tdm_gpu_tool_find(self, err, sizeof err);
    assert_string_equal(p, tool);
    free(p);
    /* on PATH */
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    char path[600];
    snprintf(path, sizeof path, "/nonexistent-a::%s", dir);
    setenv("PATH", path, 1);
    p = tdm_gpu_tool_find("/nowhere/tandem-smol", err, sizeof err);
    assert_string_equal(p, tool);
    free(p);
    /* nowhere: the message says how to get it */
    setenv("PATH", "/nonexistent-a", 1);
    assert_null(tdm_gpu_tool_find("/nowhere/tandem-smol", err, sizeof err));
    assert_non_null(strstr(err, "build it with 'make' or set TANDEM_GPU_TELEMETRY"));
    if (old)
        setenv("PATH", old, 1);
    free(old);
    free(tool);
    free(self);
}

static void test_open_modes(void **state)
{
    (void)state;
    clean_dir();
    char err[1024] = "";
    tdm_gpu_telemetry t;
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_OFF, err, sizeof err), 0);
    assert_null(t.tool);
    assert_string_equal(json_string_value(json_object_get(t.doc, "telemetry")), "off");
    assert_int_equal(json_object_size(t.doc), 1);
    tdm_gpu_telemetry_close(&t);

    char *tool = write_script("good", good_tool);
    setenv("TANDEM_GPU_TELEMETRY", tool, 1);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_AUTO, err, sizeof err), 0);
    assert_string_equal(t.tool, tool);
    assert_string_equal(json_string_value(json_object_get(t.doc, "telemetry")), "on");
    assert_string_equal(json_string_value(json_object_get(t.doc, "driver_version")), "550.54.15");
    assert_int_equal(json_integer_value(json_object_get(t.doc, "interval_ms")), 100);
    tdm_gpu_telemetry_add_error(&t, "run 1: bad \xff bytes");
    assert_int_equal(json_array_size(json_object_get(t.doc, "errors")), 1);
    tdm_gpu_telemetry_close(&t);

    /* no GPU: exit 3 with the tool's reason */
    char *none = write_script("none", "echo '{\"source\": null, \"reason\": \"no NVML; install the driver\", "
                                      "\"gpus\": []}'; exit 3\n");
    setenv("TANDEM_GPU_TELEMETRY", none, 1);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_AUTO, err, sizeof err), 0);
    assert_null(t.tool);
    assert_string_equal(json_string_value(json_object_get(t.doc, "telemetry")), "unavailable");
    assert_string_equal(json_string_value(json_object_get(t.doc, "reason")), "no NVML; install the driver");
    assert_string_equal(t.reason, "no NVML; install the driver");
    tdm_gpu_telemetry_close(&t);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_ON, err, sizeof err), -1);
    assert_non_null(strstr(err, "--gpu-telemetry=on, but no GPU can be read: no NVML; install the driver"));
    assert_non_null(strstr(err, "--gpu-telemetry=auto"));
    tdm_gpu_telemetry_close(&t);

    /* a broken tool: its status and first stderr line */
    char *broken = write_script("broken", "echo 'segfault here' >&2; echo junk; exit 7\n");
    setenv("TANDEM_GPU_TELEMETRY", broken, 1);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_AUTO, err, sizeof err), 0);
    assert_non_null(strstr(t.reason, "exited with status 7: segfault here"));
    assert_null(json_object_get(t.doc, "driver_version"));
    tdm_gpu_telemetry_close(&t);

    /* exit 0 but not JSON */
    char *junk = write_script("junk", "echo '[1, 2]'\n");
    setenv("TANDEM_GPU_TELEMETRY", junk, 1);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_AUTO, err, sizeof err), 0);
    assert_non_null(strstr(t.reason, "its output is not a JSON object"));
    tdm_gpu_telemetry_close(&t);

    /* missing program */
    setenv("TANDEM_GPU_TELEMETRY", "/nonexistent/x", 1);
    assert_int_equal(tdm_gpu_telemetry_open(&t, TDM_GPU_ON, err, sizeof err), -1);
    assert_non_null(strstr(err, "not an executable file"));
    tdm_gpu_telemetry_close(&t);
    unsetenv("TANDEM_GPU_TELEMETRY");
    free(tool);
    free(none);
    free(broken);
    free(junk);
}

static void test_sampler_start_stop(void **state)
{
    (void)state;
    clean_dir();
    char err[1024] = "";
    tdm_gpu_telemetry t = {.interval_ms = 100};
    t.tool = write_script("good", good_tool);
    char *csv = path_in("gpu.csv");
    tdm_gpu_sampler s;
    assert_int_equal(tdm_gpu_sampler_start(&t, csv, &s, err, sizeof err), 0);
    assert_true(s.pid > 0);
    assert_int_equal(tdm_gpu_sampler_stop(&s, err, sizeof err), 0);
    assert_int_equal(access(csv, F_OK), 0);
    /* the ready file and the stderr log are gone */
    char *ready = path_in(".gpu-telemetry.ready"), *log = path_in(".gpu-telemetry.log");
    assert_int_not_equal(access(ready, F_OK), 0);
    assert_int_not_equal(access(log, F_OK), 0);
    /* stopping twice, or one never started, is harmless */
    assert_int_equal(tdm_gpu_sampler_stop(&s, err, sizeof err), 0);
    free(t.tool);
    free(csv);
    free(ready);
    free(log);
}

static void test_sampler_failures(void **state)
{
    (void)state;
    clean_dir();
    char err[1024] = "";
    tdm_gpu_telemetry t = {.interval_ms = 100};
    char *csv = path_in("gpu.csv");
    tdm_gpu_sampler s;

    /* no GPU after all: ends before its first sample, with its message */
    t.tool = write_script("nogpu", "echo 'no GPU telemetry: NVML went away' >&2; exit 3\n");
    assert_int_equal(tdm_gpu_sampler_start(&t, csv, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "ended before its first sample: it exited with status 3: no GPU telemetry: NVML"));
    assert_int_equal(s.pid, 0);
    free(t.tool);

    /* dies mid-run: stop reports it, no gpu.csv */
    t.tool = write_script("dies", "case \"$1\" in sample) : > \"$7\"; echo 'lost the device' >&2; exit 1;; esac\n");
    assert_int_equal(tdm_gpu_sampler_start(&t, csv, &s, err, sizeof err), 0);
    assert_int_equal(tdm_gpu_sampler_stop(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "failed during the run: it exited with status 1: lost the device"));
    free(t.tool);

    /* ends cleanly on SIGTERM but writes nothing */
    t.tool = write_script("empty", "case \"$1\" in sample) trap 'exit 0' TERM; : > \"$7\"; "
                                   "while :; do sleep 0.01; done;; esac\n");
    assert_int_equal(tdm_gpu_sampler_start(&t, csv, &s, err, sizeof err), 0);
    assert_int_equal(tdm_gpu_sampler_stop(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "ended cleanly but left no"));
    free(t.tool);

    /* not a program at all (under valgrind, whose posix_spawn cannot report an exec
     * failure, the child exits 127 instead) */
    t.tool = path_in("missing");
    assert_int_equal(tdm_gpu_sampler_start(&t, csv, &s, err, sizeof err), -1);
    assert_true(strstr(err, "cannot start") || strstr(err, "exited with status 127"));
    free(t.tool);
    free(csv);
}

static void test_capture(void **state)
{
    (void)state;
    clean_dir();
    char err[256] = "";
    tdm_buf out = {0}, errout = {0};
    int status = -1;
    char *echo = write_script("echo", "echo out-$1; echo err-$1 >&2; exit 4\n");
    char *argv[] = {echo, "x", NULL};
    assert_int_equal(tdm_subproc_capture(argv, 10000, &out, &errout, &status, err, sizeof err), 0);
    assert_string_equal(tdm_buf_str(&out), "out-x\n");
    assert_string_equal(tdm_buf_str(&errout), "err-x\n");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 4);
    char st[64];
    tdm_subproc_describe_status(status, st, sizeof st);
    assert_string_equal(st, "exited with status 4");
    tdm_subproc_describe_status(9, st, sizeof st); /* killed by SIGKILL */
    assert_string_equal(st, "was killed by signal 9");
    tdm_buf_free(&out);
    tdm_buf_free(&errout);

    /* a hung child is stopped, not waited for forever */
    char *hang = write_script("hang", "exec sleep 30\n");
    char *argv2[] = {hang, NULL};
    assert_int_equal(tdm_subproc_capture(argv2, 50, &out, &errout, &status, err, sizeof err), -1);
    assert_non_null(strstr(err, "did not finish within 50 ms"));
    tdm_buf_free(&out);
    tdm_buf_free(&errout);

    char *argv3[] = {"/nonexistent/prog", NULL};
    if (tdm_subproc_capture(argv3, 1000, &out, &errout, &status, err, sizeof err) == 0)
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 127); /* valgrind: see above */
    else
        assert_non_null(strstr(err, "cannot start /nonexistent/prog"));
    tdm_buf_free(&out);
    tdm_buf_free(&errout);
    free(echo);
    free(hang);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_names),     cmocka_unit_test(test_tool_find),
        cmocka_unit_test(test_open_modes),     cmocka_unit_test(test_sampler_start_stop),
        cmocka_unit_test(test_sampler_failures), cmocka_unit_test(test_capture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
