/* plan.c — a run's plan as JSON (schema "tandem.plan/1"): what a client outside C needs
 * to run exactly what a C variant runs for the same command line, so that no client parses
 * YAML, validates a scenario, builds request bodies or shuffles the sequential order.
 *
 * Everything here is computed by the functions the C variants use for the same job:
 * the scenario as provenance records it (scenario_json.c), the request bodies
 * (request.c, with job.c's warm-up rule) and the order of each run's sequential phase
 * (prng.c with the runner's seed + run). A body whose prompt depends on the previous
 * step's output is given as two halves around the prompt's JSON string. */
#include "core/plan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/job.h"
#include "core/prng.h"
#include "core/provenance.h"
#include "core/request.h"

/* A prompt no scenario sends: the body is built with it, then cut around its JSON form. */
#define PROMPT_MARK "\x1ftandem-prompt-slot\x1f"
#define PROMPT_MARK_JSON "\"\\u001Ftandem-prompt-slot\\u001F\""

static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

/* {"prompt", "body_before", "body_after"}: the body is body_before + the prompt (with
 * "{previous}" replaced) as a JSON string + body_after. */
static json_t *body_template(const tdm_agent *a, const tdm_step *st, const tdm_options *extra, char *err,
                             size_t errlen)
{
    tdm_step slot = *st;
    slot.prompt = PROMPT_MARK;
    char *body = tdm_request_body(a, &slot, NULL, extra);
    if (!body) {
        snprintf(err, errlen, "out of memory building the request bodies");
        return NULL;
    }
    char *at = strstr(body, PROMPT_MARK_JSON);
    if (!at || strstr(at + 1, PROMPT_MARK_JSON)) {
        snprintf(err, errlen, "agent '%s': cannot place the prompt in its request body", a->name);
        free(body);
        return NULL;
    }
    *at = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s}", "prompt", st->prompt, "body_before", body, "body_after",
                          at + strlen(PROMPT_MARK_JSON));
    free(body);
    if (!o)
        snprintf(err, errlen, "agent '%s': a prompt or body is not valid UTF-8", a->name);
    return o;
}

static json_t *agent_plan(const tdm_scenario *s, const tdm_agent *a, char *err, size_t errlen)
{
    char *url = tdm_request_url(a);
    json_t *o = json_object(), *steps = json_array();
    /* api says how to read the reply (openai: Server-Sent Events, docs/own-client.md); url
     * is where to POST, the bodies are in that API's form (request.c). */
    bool ok = url && o && steps && put(o, "name", json_string(a->name)) && put(o, "server", json_string(a->url)) &&
              put(o, "api", json_string(tdm_api_name(a->api))) && put(o, "url", json_string(url));
    free(url);
    for (size_t k = 0; ok && k < a->n_steps; k++) {
        json_t *t = body_template(a, &a->steps[k], NULL, err, errlen);
        ok = t && json_array_append_new(steps, t) == 0;
    }
    ok = ok && put(o, "steps", steps);
    if (!ok)
        json_decref(steps);
    if (ok && s->warmup && a->n_steps > 0) {
        tdm_step warm;
        tdm_options extra;
        tdm_job_warmup_step(s, &a->steps[0], &warm, &extra);
        ok = put(o, "warmup", body_template(a, &warm, &extra, err, errlen));
    }
    if (ok)
        return o;
    json_decref(o);
    if (!*err)
        snprintf(err, errlen, "out of memory building the plan");
    return NULL;
}

static json_t *sequential_orders(const tdm_scenario *s)
{
    json_t *runs = json_array();
    int *order = calloc(s->n_agents ? s->n_agents : 1, sizeof *order);
    bool ok = runs && order;
    for (int run = 1; ok && s->sequential && run <= s->runs; run++) {
        for (size_t i = 0; i < s->n_agents; i++)
            order[i] = (int)i;
        /* as core/runner.c shuffles run k's sequential phase */
        tdm_shuffle_ints(order, s->n_agents, s->seed + (uint64_t)run);
        json_t *one = json_array();
        for (size_t i = 0; one && i < s->n_agents; i++)
            if (json_array_append_new(one, json_integer(order[i])) != 0) {
                json_decref(one);
                one = NULL;
            }
        ok = one && json_array_append_new(runs, one) == 0;
    }
    free(order);
    if (ok)
        return runs;
    json_decref(runs);
    return NULL;
}

static json_t *command_line(int argc, char **argv)
{
    /* argv[0] is "plan": the plan is of `run` with the same flags, as provenance says */
    tdm_buf cmd = {0};
    tdm_buf_append_str(&cmd, "run");
    for (int i = 1; i < argc; i++)
        tdm_buf_printf(&cmd, " %s", argv[i]);
    json_t *v = json_string(tdm_buf_str(&cmd));
    tdm_buf_free(&cmd);
    return v;
}

json_t *tdm_plan_json(const tdm_cli *cli, const char *variant, char *err, size_t errlen)
{
    const tdm_scenario *s = &cli->scenario;
    const tdm_run_settings *set = &cli->settings;
    json_t *agents = json_array();
    bool ok = agents != NULL;
    err[0] = '\0';
    for (size_t i = 0; ok && i < s->n_agents; i++) {
        json_t *a = agent_plan(s, &s->agents[i], err, errlen);
        ok = a && json_array_append_new(agents, a) == 0;
    }
    if (!ok) {
        json_decref(agents);
        if (!*err)
            snprintf(err, errlen, "out of memory building the plan");
        return NULL;
    }
    /* json_pack steals every "o" value, also when it fails (a NULL one fails it) */
    json_t *plan = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:{s:b, s:b, s:b, s:s, s:I, s:I, s:b, s:b, s:b, s:b}, s:i, s:b, s:b, s:b, s:o, s:s, s:o, s:o, s:o}",
        "schema", TDM_PLAN_SCHEMA, "tandem_version", TDM_VERSION, "variant", variant, "command",
        command_line(set->argc, set->argv), "output_dir", set->output_dir, "settings", "quiet", set->quiet,
        "preflight", set->preflight, "json", set->json_stdout, "gpu_telemetry", tdm_gpu_mode_name(set->gpu_telemetry),
        "read_buf", (json_int_t)cli->runtime.read_buf, "threads", (json_int_t)cli->runtime.threads, "force", set->force,
        "output_dir_default", set->default_output_dir, "lock_servers", set->lock_servers, "no_wait", set->no_wait,
        "runs", s->runs,
        "warmup", s->warmup, "sequential", s->sequential, "concurrent", s->concurrent, "sequential_orders",
        sequential_orders(s), "previous_mark", "{previous}", "host", tdm_host_info(), "scenario",
        tdm_scenario_to_json(s), "agents", agents);
    if (!plan)
        snprintf(err, errlen, "out of memory building the plan");
    return plan;
}

int tdm_plan_print(const char *variant, int argc, char **argv, FILE *out, bool *help, char *err, size_t errlen)
{
    tdm_cli cli;
    int rc = tdm_cli_parse(argc, argv, variant, &cli, err, errlen);
    *help = rc == TDM_EXIT_OK && cli.help;
    if (rc != TDM_EXIT_OK || *help) {
        tdm_cli_free(&cli);
        return rc;
    }
    json_t *plan = tdm_plan_json(&cli, variant, err, errlen);
    tdm_cli_free(&cli);
    if (!plan)
        return TDM_EXIT_ERROR;
    rc = json_dumpf(plan, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', out) != EOF
             ? TDM_EXIT_OK
             : TDM_EXIT_ERROR;
    if (rc != TDM_EXIT_OK)
        snprintf(err, errlen, "cannot write the plan to stdout");
    json_decref(plan);
    return rc;
}
