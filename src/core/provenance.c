/* provenance.c — build, library, host and server facts for every result (see provenance.h). */
#include "core/provenance.h"

#include <cyaml/cyaml.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"

static void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v += 2;
                v[strcspn(v, "\n")] = '\0';
                snprintf(out, len, "%s", v);
            }
            break;
        }
    }
    fclose(f);
}

json_t *tdm_host_info(void)
{
    struct utsname u;
    char cpu[256], host[256] = "";
    uname(&u);
    cpu_model(cpu, sizeof cpu);
    gethostname(host, sizeof host - 1);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "os", u.sysname, "kernel", u.release, "arch", u.machine,
                     "hostname", host, "cpu_model", cpu, "cpus_online", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN));
}

json_t *tdm_provenance(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, json_t *servers, int argc,
                       char **argv)
{
    char now[TDM_RFC3339_LEN];
    tdm_wall_rfc3339(now, sizeof now);
    tdm_buf cmd = {0};
    for (int i = 0; i < argc; i++)
        tdm_buf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
    json_t *libs = json_pack("{s:s, s:s}", "jansson", JANSSON_VERSION, "libcyaml", cyaml_version_str);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:o}", "schema",
                            "tandem.provenance/1", "tandem_version", TDM_VERSION, "variant", ops->variant,
                            "started_at", now, "command", tdm_buf_str(&cmd), "runtime", ops->describe(rt), "build",
                            "compiler", __VERSION__, "flags", TDM_BUILD_DESC, "c_standard", "C17", "libraries", libs,
                            "host", tdm_host_info(), "servers", servers ? servers : json_null(), "scenario",
                            tdm_scenario_to_json(s));
    tdm_buf_free(&cmd);
    return doc;
}

bool tdm_provenance_add_run_stats(json_t *prov, const tdm_runtime_ops *ops, tdm_runtime *rt)
{
    if (!ops->run_stats)
        return false;
    json_t *stats = ops->run_stats(rt);
    /* Beside "runtime", not inside it: the report tells builds apart by "runtime", and
     * these counts differ from one run directory to the next. */
    return stats && json_object_set_new(prov, "runtime_stats", stats) == 0;
}
