/* experiment.c — the experiment's defaults and its checks after parsing (see
 * experiment.h): every configuration's scenario is built (a seed built-in with its
 * options) or loaded (a scenario YAML) once here, so a bad option or a broken file is
 * reported before the sweep starts, and the servers each configuration talks to are
 * known for the pin checks. */
#include "sweep/experiment.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/scenario.h"
#include "core/scenario_builtin.h"
#include "sweep/experiment_int.h"
#include "sweep/http.h"
#include "core/sha256.h"

#define MAX_CELLS 100000

void tdm_experiment_init(tdm_experiment *e)
{
    memset(e, 0, sizeof *e);
    e->order = TDM_SWEEP_ORDER_BLOCKS;
    e->repetitions = 1;
    e->run.runs_per_cell = 1;
    e->run.warmup = true;
    e->run.unload_between_cells = true;
    e->run.cell_timeout_ms = 3600000;
    e->run.http_timeout_ms = 10000;
    e->run.retries = 3;
    e->run.retry_backoff_ms = 1000;
    e->run.gpu_telemetry = TDM_GPU_AUTO;
    e->n_points = 1;
    e->n_client_points = 1;
    e->server_ready_timeout_ms = 120000;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void tdm_experiment_free(tdm_experiment *e)
{
    free(e->path);
    free(e->dir);
    free(e->name);
    free(e->description);
    free(e->output);
    free(e->pins.ollama_version);
    free(e->pins.model);
    free(e->pins.model_digest);
    free(e->pins.gpu);
    free(e->collector_url);
    free(e->insight_url);
    free_strv(e->variants, e->n_variants);
    for (size_t i = 0; e->configs && i < e->n_configs; i++) {
        tdm_sweep_config *c = &e->configs[i];
        free(c->name);
        free(c->description);
        free(c->scenario);
        free(c->builtin);
        free(c->scenario_path);
        free(c->collector_url);
        free(c->insight_url);
        free_strv(c->urls, c->n_urls);
        tdm_sweep_points_free(c, e->n_points);
    }
    free(e->configs);
    free(e->run.keep_alive);
    for (int a = 0; a < TDM_AXIS_COUNT; a++)
        free(e->axes[a].values);
    free(e->server_launcher);
    memset(e, 0, sizeof *e);
}

size_t tdm_experiment_cell_count(const tdm_experiment *e)
{
    return e->n_variants * e->n_configs * (e->n_points ? e->n_points : 1) *
           (size_t)(e->repetitions > 0 ? e->repetitions : 0);
}

bool tdm_sweep_same_model(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
    const char *ta = a[la] ? a + la + 1 : "latest";
    const char *tb = b[lb] ? b + lb + 1 : "latest";
    return la == lb && strncmp(a, b, la) == 0 && strcmp(ta, tb) == 0;
}

bool tdm_sweep_safe_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64 || s[0] == '.' || s[0] == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return false;
    return true;
}

bool tdm_sweep_digest_well_formed(const char *d)
{
    if (!d)
        return false;
    if (strncmp(d, "sha256:", 7) == 0)
        d += 7;
    size_t n = strlen(d);
    if (n < 12 || n > 64)
        return false;
    for (; *d; d++)
        if (!isxdigit((unsigned char)*d))
            return false;
    return true;
}

/* ---- checks ----------------------------------------------------------------------- */

typedef struct chk {
    const char *src;
    tdm_buf *problems;
    int n;
    bool oom;
} chk;

__attribute__((format(printf, 3, 4))) static void problem(chk *c, const char *field, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->n++;
    if (c->problems)
        tdm_buf_printf(c->problems, "%s: %s: %s\n", c->src, field, msg);
}

/* The canonical built-in name s stands for ('_' for '-' allowed), or NULL. */
static const char *builtin_name(const char *s)
{
    for (const char *const *n = tdm_builtin_scenario_names; *n; n++) {
        size_t len = strlen(*n);
        if (strlen(s) != len)
            continue;
        size_t i = 0;
        while (i < len && (s[i] == (*n)[i] || (s[i] == '_' && (*n)[i] == '-')))
            i++;
        if (i == len)
            return *n;
    }
    return NULL;
}

static bool looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) || (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

/* Trailing slashes off, so "http://h:1/" and "http://h:1" are one endpoint. */
static void trim_url(char *u)
{
    size_t n = u ? strlen(u) : 0;
    while (n > 8 && u[n - 1] == '/')
        u[--n] = '\0';
}

static void check_url(chk *c, const char *field, const char *u)
{
    char host[256], port[16], prefix[512];
    if (strncmp(u, "http://", 7) != 0 || strpbrk(u, " \t\r\n\"'\\") ||
        tdm_sweep_url_split(u, host, sizeof host, port, sizeof port, prefix, sizeof prefix) != 0 ||
        strtol(port, NULL, 10) < 1 || strtol(port, NULL, 10) > 65535)
        problem(c, field,
                "'%s' is not an http://HOST:PORT URL; write e.g. http://127.0.0.1:11434 (Ollama speaks plain HTTP)",
                u);
}

static int add_url(tdm_sweep_config *cf, const char *u)
{
    for (size_t i = 0; i < cf->n_urls; i++)
        if (strcmp(cf->urls[i], u) == 0)
            return 0;
    char **v = realloc(cf->urls, (cf->n_urls + 1) * sizeof *v);
    if (!v)
        return -1;
    cf->urls = v;
    if (!(cf->urls[cf->n_urls] = strdup(u)))
        return -1;
    cf->n_urls++;
    return 0;
}

static char *resolve_path(const char *dir, const char *p)
{
    tdm_buf b = {0};
    if (p[0] == '/' || !dir || strcmp(dir, ".") == 0)
        tdm_buf_append_str(&b, p);
    else
        tdm_buf_printf(&b, "%s/%s", dir, p);
    return tdm_buf_steal(&b);
}

static int hash_file(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    tdm_sha256 h;
    tdm_sha256_init(&h);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tdm_sha256_update(&h, chunk, n);
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    tdm_sha256_final_hex(&h, hex);
    return rc;
}

static void count_scenario(tdm_sweep_config *cf, const tdm_scenario *s)
{
    cf->n_agents = s->n_agents;
    cf->calls_per_run = 0;
    for (size_t i = 0; i < s->n_agents; i++)
        cf->calls_per_run += s->agents[i].n_steps;
}

static void resolve_builtin(chk *c, tdm_experiment *e, tdm_sweep_config *cf, const char *f, const char *canon)
{
    if (!(cf->builtin = strdup(canon))) {
        c->oom = true;
        return;
    }
    if (cf->has_chimera2 && strcmp(canon, "chimera-hetero") != 0)
        problem(c, f,
                "chimera2: is used only by the chimera-hetero scenario (its second agent), not by %s; remove it or "
                "use scenario: chimera-hetero",
                canon);
    /* Effective endpoints: the configuration's own, else the experiment's. */
    const char *names[2] = {"collector", "insight"};
    char **mine[2] = {&cf->collector_url, &cf->insight_url};
    const char *deflt[2] = {e->collector_url, e->insight_url};
    bool ok = true;
    for (int i = 0; i < 2; i++) {
        bool own = *mine[i] != NULL; /* an inherited URL was checked at the top level */
        if (!*mine[i] && deflt[i] && !(*mine[i] = strdup(deflt[i]))) {
            c->oom = true;
            return;
        }
        trim_url(*mine[i]);
        char ff[160];
        snprintf(ff, sizeof ff, "%s.endpoints.%s", f, names[i]);
        if (!*mine[i]) {
            problem(c, ff,
                    "no URL for the %s agent; set endpoints.%s (e.g. http://127.0.0.1:%s) at the top level or in "
                    "this configuration",
                    names[i], names[i], i == 0 ? "11434" : "11435");
            ok = false;
            continue;
        }
        if (own)
            check_url(c, ff, *mine[i]);
        if (add_url(cf, *mine[i]) != 0) {
            c->oom = true;
            return;
        }
    }
    if (!ok || !e->pins.model)
        return;
    /* Build it as the child will, to validate the options and count the calls. */
    tdm_builtin_args a;
    tdm_builtin_args_init(&a);
    a.scenario = canon;
    a.model = e->pins.model;
    a.collector_url = cf->collector_url;
    a.insight_url = cf->insight_url;
    a.chimera = cf->chimera;
    a.chimera2 = cf->chimera2;
    a.runs = e->run.runs_per_cell;
    if (e->run.calls_per_agent)
        a.calls_per_agent = e->run.calls_per_agent;
    a.keep_alive = e->run.keep_alive;
    if (e->run.has_num_predict)
        tdm_options_set(&a.common, TDM_OPT_NUM_PREDICT, (double)e->run.num_predict);
    if (e->run.has_seed)
        tdm_options_set(&a.common, TDM_OPT_SEED, (double)e->run.seed);
    if (e->run.has_num_thread)
        tdm_options_set(&a.common, TDM_OPT_NUM_THREAD, (double)e->run.num_thread);
    tdm_scenario s;
    char err[1024];
    if (tdm_scenario_builtin(&a, &s, err, sizeof err) != 0) {
        problem(c, f, "the built-in scenario %s does not accept these settings: %s", canon, err);
        return;
    }
    count_scenario(cf, &s);
    tdm_scenario_free(&s);
}

static void resolve_file(chk *c, tdm_experiment *e, tdm_sweep_config *cf, const char *f)
{
    if (cf->has_chimera || cf->has_chimera2 || cf->has_endpoints)
        problem(c, f,
                "chimera:, chimera2: and endpoints: apply to the built-in scenarios only; a scenario file (%s) sets "
                "each agent's url and options itself, so put them there",
                cf->scenario);
    if (!(cf->scenario_path = resolve_path(e->dir, cf->scenario))) {
        c->oom = true;
        return;
    }
    char ff[160];
    snprintf(ff, sizeof ff, "%s.scenario", f);
    if (access(cf->scenario_path, R_OK) != 0) {
        problem(c, ff, "cannot read the scenario file %s: %s; fix the path%s", cf->scenario_path, strerror(errno),
                cf->scenario[0] != '/' ? " (a relative path starts at the experiment file's directory)" : "");
        return;
    }
    tdm_scenario s;
    char err[2048];
    if (tdm_scenario_load_file(cf->scenario_path, &s, err, sizeof err) != 0) {
        problem(c, ff, "%s", err);
        return;
    }
    if (hash_file(cf->scenario_path, cf->scenario_sha256) != 0)
        problem(c, ff, "%s: cannot read it to record its hash: %s", cf->scenario_path, strerror(errno));
    count_scenario(cf, &s);
    for (size_t i = 0; i < s.n_agents; i++) {
        tdm_agent *a = &s.agents[i];
        if (e->pins.model && !tdm_sweep_same_model(a->model, e->pins.model))
            problem(c, ff,
                    "agent '%s' uses model '%s' but the experiment pins '%s'; a sweep measures one pinned model, so "
                    "change the agent's model or pins.model",
                    a->name, a->model, e->pins.model);
        char *u = strdup(a->url);
        if (!u) {
            c->oom = true;
            break;
        }
        trim_url(u);
        char fa[200];
        snprintf(fa, sizeof fa, "%s (agent '%s' url)", ff, a->name);
        check_url(c, fa, u);
        int rc = add_url(cf, u);
        free(u);
        if (rc != 0) {
            c->oom = true;
            break;
        }
    }
    tdm_scenario_free(&s);
}

int tdm_experiment_resolve(tdm_experiment *e, const char *src, tdm_buf *problems)
{
    chk c = {src, problems, 0, false};
    if (!e->name)
        problem(&c, "name", "missing; name the experiment (e.g. name: tr115), it names the default output directory");
    else if (!tdm_sweep_safe_name(e->name))
        problem(&c, "name", "'%s' may use only letters, digits, '.', '_' and '-' (at most 64, not first '.' or '-')",
                e->name);
    if (!e->output && e->name && tdm_sweep_safe_name(e->name)) {
        tdm_buf b = {0};
        tdm_buf_printf(&b, "results/%s", e->name);
        if (!(e->output = tdm_buf_steal(&b)))
            c.oom = true;
    }
    if (!e->pins.ollama_version)
        problem(&c, "pins.ollama_version", "missing; pin the Ollama version the experiment was designed for (what "
                                           "GET /api/version says, e.g. 0.11.4)");
    if (!e->pins.model)
        problem(&c, "pins.model", "missing; pin the model every agent uses (e.g. gemma3:latest)");
    if (!e->pins.model_digest)
        problem(&c, "pins.model_digest",
                "missing; pin the model's digest as GET /api/tags (or 'ollama list') shows it on the measuring host");
    trim_url(e->collector_url);
    trim_url(e->insight_url);
    if (e->collector_url)
        check_url(&c, "endpoints.collector", e->collector_url);
    if (e->insight_url)
        check_url(&c, "endpoints.insight", e->insight_url);

    if (e->n_variants == 0)
        problem(&c, "variants", "missing or empty; list the variant binaries to run (e.g. [tokio-default, smol])");
    for (size_t i = 0; i < e->n_variants; i++) {
        char f[48];
        snprintf(f, sizeof f, "variants[%zu]", i);
        if (!tdm_sweep_safe_name(e->variants[i])) {
            problem(&c, f, "'%s' is not a variant name (tandem-<name> in the build output: letters, digits, '-')",
                    e->variants[i]);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(e->variants[i], e->variants[j]) == 0)
                problem(&c, f, "'%s' is listed twice; list each variant once (repetitions: sets the count)",
                        e->variants[i]);
    }

    tdm_sweep_count_points(e);
    if (tdm_sweep_has_server_axes(e) && !e->server_launcher)
        problem(&c, "server_launcher",
                "missing; a server-side axis (num_parallel:, servers_per_gpu:) needs the servers restarted between "
                "groups of cells, so name the command that (re)starts them (e.g. server_launcher: \"just "
                "ollama-up\"; it gets OLLAMA_NUM_PARALLEL and TANDEM_SERVERS in its environment)");
    if (e->axes[TDM_AXIS_NUM_PREDICT].n && e->run.has_num_predict)
        problem(&c, "run.num_predict",
                "given together with axes.num_predict; the axis sets every cell's --num-predict, so remove "
                "run.num_predict");
    if (e->n_configs == 0)
        problem(&c, "configurations", "missing or empty; list at least one {name, scenario}");
    for (size_t i = 0; i < e->n_configs && !c.oom; i++) {
        tdm_sweep_config *cf = &e->configs[i];
        char f[48];
        snprintf(f, sizeof f, "configurations[%zu]", i);
        if (!cf->name) {
            problem(&c, f, "has no name; give each configuration a name (it names its result directories)");
        } else if (!tdm_sweep_safe_name(cf->name)) {
            problem(&c, f, "name '%s' may use only letters, digits, '.', '_' and '-'", cf->name);
        } else {
            for (size_t j = 0; j < i; j++)
                if (e->configs[j].name && strcmp(cf->name, e->configs[j].name) == 0)
                    problem(&c, f, "name '%s' is used twice; names must be unique", cf->name);
        }
        if (!cf->scenario) {
            problem(&c, f,
                    "has no scenario; write a built-in (baseline-vs-chimera, chimera-hetero, chimera-homo) or a path "
                    "to a scenario YAML");
            continue;
        }
        const char *canon = builtin_name(cf->scenario);
        int before = c.n;
        if (canon)
            resolve_builtin(&c, e, cf, f, canon);
        else if (looks_like_path(cf->scenario))
            resolve_file(&c, e, cf, f);
        else
            problem(&c, f,
                    "scenario '%s' is neither a built-in (baseline-vs-chimera, chimera-hetero, chimera-homo) nor a "
                    "path to a .yaml file",
                    cf->scenario);
        if (c.n == before && !c.oom) {
            tdm_buf pb = {0};
            int pr = tdm_sweep_resolve_points(e, cf, f, src, &pb);
            if (problems && pb.len && tdm_buf_append(problems, pb.data, pb.len) != 0)
                c.oom = true;
            tdm_buf_free(&pb);
            if (pr < 0)
                c.oom = true;
            else
                c.n += pr;
        }
    }
    if (tdm_experiment_cell_count(e) > MAX_CELLS)
        problem(&c, "repetitions", "%zu cells is more than %d; is that intended? split the experiment",
                tdm_experiment_cell_count(e), MAX_CELLS);
    if (c.oom) {
        if (problems)
            tdm_buf_printf(problems, "%s: out of memory\n", src);
        return -1;
    }
    return c.n;
}
