/* gpu_telemetry.c — choosing the mode, finding tandem-gpu-telemetry and asking it what
 * GPUs there are, for provenance "gpu" (see gpu_telemetry.h). */
#include "core/gpu_telemetry.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/subproc.h"
#include "core/utf8.h"

#define TOOL_NAME "tandem-gpu-telemetry"
/* nvidia-smi may take seconds to start on a busy host; a hung one must not hang us. */
#define INFO_TIMEOUT_MS 20000
#define EXIT_NO_GPU 3

static const char *const mode_names[] = {"off", "auto", "on"};

int tdm_gpu_mode_parse(const char *s, tdm_gpu_mode *out)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, mode_names[i]) == 0) {
            *out = (tdm_gpu_mode)i;
            return 0;
        }
    return -1;
}

const char *tdm_gpu_mode_name(tdm_gpu_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : "off";
}

static bool executable_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static char *beside_self(const char *self_exe)
{
    char *dir = NULL;
    if (self_exe) {
        const char *slash = strrchr(self_exe, '/');
        dir = slash ? strndup(self_exe, (size_t)(slash - self_exe)) : NULL;
    } else {
        dir = tdm_self_dir();
    }
    if (!dir)
        return NULL;
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s/%s", dir, TOOL_NAME);
    free(dir);
    if (b.data && executable_file(b.data))
        return tdm_buf_steal(&b);
    tdm_buf_free(&b);
    return NULL;
}

static char *on_path(void)
{
    const char *path = getenv("PATH");
    for (const char *p = path; p && *p;) {
        size_t n = strcspn(p, ":");
        tdm_buf b = {0};
        tdm_buf_printf(&b, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", TOOL_NAME);
        if (b.data && executable_file(b.data))
            return tdm_buf_steal(&b);
        tdm_buf_free(&b);
        p += n + (p[n] == ':');
    }
    return NULL;
}

char *tdm_gpu_tool_find(const char *self_exe, char *err, size_t errlen)
{
    const char *env = getenv("TANDEM_GPU_TELEMETRY");
    if (env && *env) {
        if (executable_file(env))
            return strdup(env);
        snprintf(err, errlen,
                 "TANDEM_GPU_TELEMETRY=%s is not an executable file; point it at tandem-gpu-telemetry or unset it",
                 env);
        return NULL;
    }
    char *p = beside_self(self_exe);
    if (!p)
        p = on_path();
    if (!p)
        snprintf(err, errlen,
                 "%s is neither beside this binary nor on PATH; build it with 'make' or set TANDEM_GPU_TELEMETRY",
                 TOOL_NAME);
    return p;
}

/* The first line of text, for a one-line reason. */
static void first_line(const char *text, char *out, size_t outlen)
{
    size_t n = strcspn(text, "\n");
    snprintf(out, outlen, "%.*s", (int)n, text);
}

/* Runs `tool info`; returns the parsed object (or NULL) and sets *available or reason. */
static json_t *ask_info(const char *tool, bool *available, char *reason, size_t reasonlen)
{
    char *argv[] = {(char *)tool, "info", NULL};
    tdm_buf out = {0}, errout = {0};
    int status = 0;
    char err[512];
    json_t *info = NULL;
    *available = false;
    if (tdm_subproc_capture(argv, INFO_TIMEOUT_MS, &out, &errout, &status, err, sizeof err) != 0) {
        snprintf(reason, reasonlen, "%s", err);
        goto done;
    }
    info = json_loadb(tdm_buf_str(&out), out.len, 0, NULL);
    if (info && !json_is_object(info)) {
        json_decref(info);
        info = NULL;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 0 && info) {
        *available = true;
    } else if (code == EXIT_NO_GPU) {
        const char *why = json_string_value(json_object_get(info, "reason"));
        char line[400];
        first_line(why ? why : errout.len ? tdm_buf_str(&errout) : "no GPU found", line, sizeof line);
        snprintf(reason, reasonlen, "%s", line);
    } else {
        char st[64], line[400];
        tdm_subproc_describe_status(status, st, sizeof st);
        first_line(errout.len ? tdm_buf_str(&errout) : code == 0 ? "its output is not a JSON object" : "", line,
                   sizeof line);
        snprintf(reason, reasonlen, "'%s info' %s%s%s", tool, st, *line ? ": " : "", line);
        json_decref(info);
        info = NULL;
    }
done:
    tdm_buf_free(&out);
    tdm_buf_free(&errout);
    return info;
}

/* Text from another program, made fit for JSON (jansson refuses invalid UTF-8). */
static json_t *text_json(const char *s)
{
    size_t n;
    char *clean = tdm_utf8_sanitize(s, strlen(s), &n);
    json_t *j = clean ? json_stringn(clean, n) : NULL;
    free(clean);
    return j ? j : json_string("(unreadable text)");
}

int tdm_gpu_telemetry_open(tdm_gpu_telemetry *t, tdm_gpu_mode mode, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->mode = mode;
    t->interval_ms = TDM_GPU_INTERVAL_MS;
    if (mode == TDM_GPU_OFF) {
        t->doc = json_pack("{s:s}", "telemetry", "off");
        return 0;
    }
    char *tool = tdm_gpu_tool_find(NULL, t->reason, sizeof t->reason);
    bool available = false;
    json_t *info = tool ? ask_info(tool, &available, t->reason, sizeof t->reason) : NULL;
    t->doc = info ? info : json_pack("{s:n, s:[]}", "source", "gpus");
    json_object_set_new(t->doc, "telemetry", json_string(available ? "on" : "unavailable"));
    json_object_set_new(t->doc, "interval_ms", json_integer(t->interval_ms));
    if (available) {
        json_object_del(t->doc, "reason");
        t->tool = tool;
        return 0;
    }
    free(tool);
    json_object_set_new(t->doc, "reason", text_json(t->reason));
    if (mode == TDM_GPU_ON) {
        snprintf(err, errlen,
                 "--gpu-telemetry=on, but no GPU can be read: %s. Fix that, or run with --gpu-telemetry=auto to "
                 "measure without GPU samples",
                 t->reason);
        return -1;
    }
    return 0;
}

void tdm_gpu_telemetry_close(tdm_gpu_telemetry *t)
{
    free(t->tool);
    json_decref(t->doc);
    memset(t, 0, sizeof *t);
}

void tdm_gpu_telemetry_add_error(tdm_gpu_telemetry *t, const char *msg)
{
    json_t *errs = json_object_get(t->doc, "errors");
    if (!json_is_array(errs)) {
        errs = json_array();
        json_object_set_new(t->doc, "errors", errs);
    }
    json_array_append_new(errs, text_json(msg));
}
