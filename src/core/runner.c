/* runner.c — phases, repetitions and result files of one run (see runner.h). */
#include "core/runner.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fileio.h"
#include "core/gpu_telemetry.h"
#include "core/interrupt.h"
#include "core/metrics.h"
#include "core/outdir.h"
#include "core/preflight.h"
#include "core/prng.h"
#include "core/provenance.h"
#include "core/run_lock.h"
#include "core/rundata.h"
#include "core/server_memory.h"
#include "core/summary.h"
#include "core/workflow_board.h"

typedef struct runner {
    const tdm_runtime_ops *ops;
    tdm_runtime *rt;
    const tdm_scenario *s;
    const tdm_run_settings *set;
    tdm_gpu_telemetry gpu;  /* its doc is provenance "gpu" */
    json_t *prov;
    json_t *server_memory;  /* provenance "server_memory" (borrowed from prov) */
    char err[1024];
} runner;

static void progress(const runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const runner *r, const char *fmt, ...)
{
    if (r->set->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Allocates a job per listed agent with fresh records for the phase. */
static tdm_agent_job *make_jobs(const runner *r, int run, tdm_phase phase, const int *agents, size_t n)
{
    tdm_agent_job *jobs = calloc(n, sizeof *jobs);
    if (!jobs)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const tdm_agent *a = &r->s->agents[agents[i]];
        size_t calls = phase == TDM_PHASE_WARMUP ? 1 : a->n_steps;
        tdm_call_record *recs = calloc(calls, sizeof *recs);
        if (!recs) {
            for (size_t k = 0; k < i; k++)
                free(jobs[k].records);
            free(jobs);
            return NULL;
        }
        for (size_t k = 0; k < calls; k++)
            tdm_record_init(&recs[k], run, phase, agents[i], (int)k);
        tdm_job_init(&jobs[i], r->s, agents[i], phase == TDM_PHASE_WARMUP, recs, calls);
        tdm_job_prepare(&jobs[i]); /* on failure tdm_job_next builds it, and records why it could not */
    }
    return jobs;
}

/* Moves the jobs' records into the run data and frees the jobs. */
static int collect(tdm_run_data *d, tdm_agent_job *jobs, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        tdm_job_drop_prepared(&jobs[i]);
        if (tdm_run_data_take_calls(d, jobs[i].records, jobs[i].n_calls) != 0) {
            for (size_t k = 0; k < jobs[i].n_calls; k++)
                tdm_record_free(&jobs[i].records[k]);
            rc = -1;
        }
        free(jobs[i].records);
    }
    free(jobs);
    return rc;
}

static size_t count_failed(const tdm_agent_job *jobs, size_t n)
{
    size_t f = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < jobs[i].n_calls; k++)
            f += !jobs[i].records[k].ok;
    return f;
}

static void report_failures(const runner *r, const tdm_agent_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < jobs[i].n_calls; k++) {
            const tdm_call_record *c = &jobs[i].records[k];
            if (!c->ok && c->error_kind != TDM_ERR_SKIPPED)
                progress(r, "  agent %s, %s call %zu failed (%s): %s\n", jobs[i].agent->name,
                         tdm_phase_name(c->phase), k + 1, tdm_error_kind_name(c->error_kind),
                         c->error_message ? c->error_message : "");
        }
}

/* Runs one phase's jobs through the variant; -1 only when the runtime broke. */
static int run_batch(runner *r, tdm_agent_job *jobs, size_t n, int64_t *t_release)
{
    if (r->ops->run_jobs(r->rt, jobs, n, t_release, r->err, sizeof r->err) != 0)
        return -1;
    report_failures(r, jobs, n);
    return 0;
}

static int warmup(runner *r, tdm_run_data *d)
{
    /* One agent at a time: a model load is slow and need not be concurrent. */
    for (size_t i = 0; i < r->s->n_agents && !tdm_interrupt_requested(); i++) {
        int a = (int)i;
        tdm_agent_job *jobs = make_jobs(r, d->run, TDM_PHASE_WARMUP, &a, 1);
        int64_t t;
        if (!jobs || run_batch(r, jobs, 1, &t) != 0) {
            if (jobs)
                collect(d, jobs, 1);
            return -1;
        }
        collect(d, jobs, 1);
    }
    return 0;
}

/* A workflow's sequential phase: every agent's job in one batch, the board letting one
 * step run at a time in a topological order (the agents' shuffled order among the steps
 * ready), so each step can use what the steps before it produced. */
static int sequential_workflow(runner *r, tdm_run_data *d, size_t *failed)
{
    size_t n = r->s->n_agents, total = 0;
    for (size_t i = 0; i < n; i++)
        total += r->s->agents[i].n_steps;
    tdm_step_ref *order = calloc(total ? total : 1, sizeof *order);
    int *all = calloc(n ? n : 1, sizeof *all);
    tdm_board *board = NULL;
    tdm_agent_job *jobs = NULL;
    int rc = -1;
    if (!order || !all || tdm_workflow_order(r->s, d->seq_order, order) != total ||
        !(board = tdm_board_new(r->s, order, total)))
        goto done;
    for (size_t i = 0; i < n; i++)
        all[i] = (int)i;
    if (!(jobs = make_jobs(r, d->run, TDM_PHASE_SEQUENTIAL, all, n)))
        goto done;
    d->seq_one_batch = true;
    int64_t t_release = 0;
    for (size_t i = 0; i < n; i++)
        jobs[i].board = board;
    if (tdm_interrupt_requested()) {
        for (size_t i = 0; i < n; i++)
            tdm_job_cancel(&jobs[i], tdm_now_ns());
        rc = 0;
    } else {
        rc = run_batch(r, jobs, n, &t_release);
    }
    for (size_t i = 0; i < n; i++)
        d->seq[jobs[i].agent_index] = (tdm_agent_timing){t_release, jobs[i].t_begin, jobs[i].t_end};
    *failed += count_failed(jobs, n);
    tdm_board_free(board); /* before collect: it points into the jobs' records */
    board = NULL;
    collect(d, jobs, n);
done:
    tdm_board_free(board);
    free(order);
    free(all);
    return rc;
}

static int sequential(runner *r, tdm_run_data *d, size_t *failed)
{
    size_t n = r->s->n_agents;
    for (size_t i = 0; i < n; i++)
        d->seq_order[i] = (int)i;
    /* A different but reproducible order in each repetition. */
    tdm_shuffle_ints(d->seq_order, n, r->s->seed + (uint64_t)d->run);
    d->has_sequential = true;
    tdm_cpu_usage cpu0 = tdm_cpu_now();
    if (r->s->workflow) {
        int rc = sequential_workflow(r, d, failed);
        d->seq_cpu = tdm_cpu_since(cpu0);
        d->has_seq_cpu = true;
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int a = d->seq_order[i];
        tdm_agent_job *jobs = make_jobs(r, d->run, TDM_PHASE_SEQUENTIAL, &a, 1);
        int64_t t_release = 0;
        if (!jobs)
            return -1;
        if (tdm_interrupt_requested()) {
            /* Interrupted: the agents still to run alone are recorded as not run. */
            tdm_job_cancel(&jobs[0], tdm_now_ns());
            *failed += count_failed(jobs, 1);
            collect(d, jobs, 1);
            continue;
        }
        int rc = run_batch(r, jobs, 1, &t_release);
        d->seq[a] = (tdm_agent_timing){t_release, jobs[0].t_begin, jobs[0].t_end};
        *failed += count_failed(jobs, 1);
        collect(d, jobs, 1);
        if (rc != 0)
            return -1;
    }
    d->seq_cpu = tdm_cpu_since(cpu0);
    d->has_seq_cpu = true;
    return 0;
}

static int concurrent(runner *r, tdm_run_data *d, size_t *failed)
{
    size_t n = r->s->n_agents;
    int *all = calloc(n ? n : 1, sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < n; i++)
        all[i] = (int)i;
    tdm_agent_job *jobs = make_jobs(r, d->run, TDM_PHASE_CONCURRENT, all, n);
    free(all);
    if (!jobs)
        return -1;
    /* A workflow's steps wait for their inputs, and nothing else: each runs as soon as
     * they exist. */
    tdm_board *board = r->s->workflow ? tdm_board_new(r->s, NULL, 0) : NULL;
    if (r->s->workflow && !board) {
        collect(d, jobs, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        jobs[i].board = board;
    int64_t t_release = 0;
    tdm_cpu_usage cpu0 = tdm_cpu_now();
    int rc = run_batch(r, jobs, n, &t_release);
    tdm_board_free(board); /* before collect: it points into the jobs' records */
    d->conc_cpu = tdm_cpu_since(cpu0);
    d->has_conc_cpu = true;
    d->has_concurrent = true;
    d->conc_open_loop = r->s->arrivals.process != TDM_ARRIVALS_NONE;
    for (size_t i = 0; i < n; i++)
        d->conc[jobs[i].agent_index] = (tdm_agent_timing){t_release, jobs[i].t_begin, jobs[i].t_end};
    *failed += count_failed(jobs, n);
    collect(d, jobs, n);
    return rc;
}

static char *run_dir(const runner *r, int run)
{
    char name[64];
    snprintf(name, sizeof name, "run_%d", run);
    return tdm_path_join(r->set->output_dir, name);
}

static int write_run(runner *r, const tdm_run_data *d)
{
    char *dir = run_dir(r, d->run);
    char *path = tdm_path_join(dir, "records.json");
    int rc = tdm_mkdirs(dir, r->err, sizeof r->err);
    if (rc == 0) {
        json_t *doc = tdm_run_data_to_json(d);
        rc = tdm_write_json_atomic(path, doc, r->err, sizeof r->err);
        json_decref(doc);
    }
    free(dir);
    free(path);
    return rc;
}

static int write_provenance(runner *r)
{
    char *path = tdm_path_join(r->set->output_dir, "provenance.json");
    int rc = tdm_write_json_atomic(path, r->prov, r->err, sizeof r->err);
    free(path);
    return rc;
}

/* A phase with the servers' /api/ps taken just before and just after it. */
static int phase(runner *r, tdm_run_data *d, tdm_phase p, size_t *failed)
{
    progress(r, "[run %d/%d] %s\n", d->run, r->s->runs,
             p == TDM_PHASE_WARMUP ? "warm-up" : p == TDM_PHASE_SEQUENTIAL ? "sequential phase" : "concurrent phase");
    tdm_server_memory_snapshot(r->ops, r->rt, r->s, d->run, p, false, r->server_memory);
    int rc = p == TDM_PHASE_WARMUP ? warmup(r, d) : p == TDM_PHASE_SEQUENTIAL ? sequential(r, d, failed)
                                                                               : concurrent(r, d, failed);
    tdm_server_memory_snapshot(r->ops, r->rt, r->s, d->run, p, true, r->server_memory);
    return rc;
}

/* A sampler failure costs GPU samples, never the run: it is recorded and the run goes on. */
static void gpu_problem(runner *r, int run, const char *msg)
{
    char line[1200];
    snprintf(line, sizeof line, "run %d: %s", run, msg);
    tdm_gpu_telemetry_add_error(&r->gpu, line);
    progress(r, "tandem: no GPU samples for %s\n", line);
}

/* One repetition: the GPU sampler (when on) around all of its phases. The sampler is
 * stopped on every path out, so no child outlives a run that broke. */
static int run_once(runner *r, tdm_run_data *d, size_t *failed)
{
    tdm_gpu_sampler sampler = {0};
    if (r->gpu.tool) {
        char err[1024];
        char *dir = run_dir(r, d->run);
        char *csv = dir ? tdm_path_join(dir, "gpu.csv") : NULL;
        if (!csv)
            gpu_problem(r, d->run, "out of memory");
        else if (tdm_mkdirs(dir, err, sizeof err) != 0 || tdm_gpu_sampler_start(&r->gpu, csv, &sampler, err,
                                                                                   sizeof err) != 0)
            gpu_problem(r, d->run, err);
        free(dir);
        free(csv);
    }
    /* After an interrupt no new phase starts; the one running ends early (job.c, call.c). */
    int rc = 0;
    if (d->run == 1 && r->s->warmup)
        rc = phase(r, d, TDM_PHASE_WARMUP, failed);
    if (rc == 0 && r->s->sequential && !tdm_interrupt_requested())
        rc = phase(r, d, TDM_PHASE_SEQUENTIAL, failed);
    if (rc == 0 && r->s->concurrent && !tdm_interrupt_requested())
        rc = phase(r, d, TDM_PHASE_CONCURRENT, failed);
    d->interrupted = tdm_interrupt_requested();
    char err[1024];
    if (tdm_gpu_sampler_stop(&sampler, err, sizeof err) != 0)
        gpu_problem(r, d->run, err);
    return rc;
}

/* The last lines after an interrupt: what was kept and where. Printed even with
 * --quiet: the person who pressed Ctrl-C is waiting for them. */
static void interrupted_note(const runner *r, int interrupted_run, int done_runs)
{
    const char *dir = r->set->output_dir;
    int finished = interrupted_run ? interrupted_run - 1 : done_runs;
    fprintf(stderr, "tandem: interrupted. %d of %d run(s) finished", finished, r->s->runs);
    if (interrupted_run)
        fprintf(stderr, "; run %d's partial records: %s/run_%d/records.json (marked \"interrupted\": true, "
                        "left out of the summary)", interrupted_run, dir, interrupted_run);
    fprintf(stderr, ".\ntandem: summary over the finished runs: %s/summary.json and %s/report.md; provenance: "
                    "%s/provenance.json\ntandem: results in %s (exit status %d: interrupted)\n",
            dir, dir, dir, dir, TDM_EXIT_INTERRUPTED);
}

/* GPU telemetry first: "on" without a GPU refuses before anything is created. */
static int open_gpu(runner *r)
{
    if (tdm_gpu_telemetry_open(&r->gpu, r->set->gpu_telemetry, r->err, sizeof r->err) != 0) {
        fprintf(stderr, "tandem: %s\n", r->err);
        return -1;
    }
    if (r->gpu.mode == TDM_GPU_AUTO && !r->gpu.tool)
        progress(r, "tandem: no GPU telemetry (%s)\n", r->gpu.reason);
    return 0;
}

/* set->output_dir becomes the folder really used (*dir, the caller frees it). */
static int execute(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, tdm_run_settings *set,
                   const tdm_endpoint_locks *locks, char **dir)
{
    runner r = {.ops = ops, .rt = rt, .s = s, .set = set};
    if (open_gpu(&r) != 0) {
        tdm_gpu_telemetry_close(&r.gpu);
        return TDM_EXIT_ERROR;
    }
    bool refused = false;
    *dir = tdm_outdir_prepare(set->output_dir, set->default_output_dir, set->force, &refused, r.err, sizeof r.err);
    if (!*dir) {
        fprintf(stderr, "tandem: %s\n", r.err);
        tdm_gpu_telemetry_close(&r.gpu);
        return refused ? TDM_EXIT_USAGE : TDM_EXIT_ERROR;
    }
    set->output_dir = *dir;
    json_t *servers = NULL;
    if (set->preflight) {
        servers = tdm_preflight(ops, rt, s, r.err, sizeof r.err);
        if (!servers) {
            fprintf(stderr, "tandem: %s", r.err);
            tdm_gpu_telemetry_close(&r.gpu);
            return TDM_EXIT_ERROR;
        }
    }
    json_t *prov = r.prov = tdm_provenance(ops, rt, s, servers, set->argc, set->argv);
    json_object_set(prov, "gpu", r.gpu.doc);
    json_object_set_new(prov, "server_memory", r.server_memory = json_array());
    json_object_set_new(prov, "server_lock", tdm_run_lock_json(s, set, ops->variant, locks));
    if (write_provenance(&r) != 0) {
        json_decref(prov);
        tdm_gpu_telemetry_close(&r.gpu);
        fprintf(stderr, "tandem: %s\n", r.err);
        return TDM_EXIT_ERROR;
    }

    char **names = calloc(s->n_agents, sizeof *names);
    tdm_run_data *runs = calloc((size_t)s->runs, sizeof *runs);
    if (!names || !runs) {
        free(names);
        free(runs);
        json_decref(prov);
        tdm_gpu_telemetry_close(&r.gpu);
        return TDM_EXIT_ERROR;
    }
    for (size_t i = 0; i < s->n_agents; i++)
        names[i] = s->agents[i].name;

    int status = TDM_EXIT_OK;
    size_t failed = 0;
    int done_runs = 0, interrupted_run = 0;
    progress(&r, "tandem %s: scenario '%s', %zu agents, %d run(s) -> %s\n", ops->variant, s->name, s->n_agents,
             s->runs, set->output_dir);
    for (int k = 1; k <= s->runs && !tdm_interrupt_requested(); k++) {
        tdm_run_data *d = &runs[k - 1];
        if (tdm_run_data_init(d, k, s->n_agents, names) != 0) {
            status = TDM_EXIT_ERROR;
            break;
        }
        done_runs = k;
        int rc = run_once(&r, d, &failed);
        /* Whatever happened, what was measured is written before going on, and the
         * provenance with this run's /api/ps snapshots and sampler outcome. */
        if (write_run(&r, d) != 0 || write_provenance(&r) != 0) {
            fprintf(stderr, "tandem: %s\n", r.err);
            status = TDM_EXIT_ERROR;
            break;
        }
        if (rc != 0) {
            fprintf(stderr, "tandem: the %s runtime failed: %s\n", ops->variant, r.err);
            status = TDM_EXIT_ERROR;
            break;
        }
        if (d->interrupted) {
            interrupted_run = k;
            break;
        }
    }
    if (status == TDM_EXIT_OK && tdm_interrupt_requested())
        status = TDM_EXIT_INTERRUPTED;
    if (status == TDM_EXIT_OK && failed > 0)
        status = TDM_EXIT_INCOMPLETE;
    /* Counts the runtime kept while the runs ran join the provenance now, on disk too. */
    if (tdm_provenance_add_run_stats(prov, ops, rt) && write_provenance(&r) != 0) {
        fprintf(stderr, "tandem: %s\n", r.err);
        status = TDM_EXIT_ERROR;
    }

    /* The summary leaves a run marked interrupted out (summary.h). */
    tdm_summary_inputs in = {.scenario = s, .provenance = prov, .runs = runs, .n_runs = (size_t)done_runs,
                             .output_dir = set->output_dir};
    if (tdm_summary_write(&in, set->json_stdout ? NULL : stdout, r.err, sizeof r.err) != 0) {
        fprintf(stderr, "tandem: %s\n", r.err);
        status = TDM_EXIT_ERROR;
    }
    if (set->json_stdout) {
        char *p = tdm_path_join(set->output_dir, "summary.json");
        json_t *doc = tdm_read_json_file(p, r.err, sizeof r.err);
        if (doc) {
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(doc);
        }
        free(p);
    }
    if (status == TDM_EXIT_INTERRUPTED)
        interrupted_note(&r, interrupted_run, done_runs);
    else if (failed > 0)
        fprintf(stderr,
                "tandem: %zu call(s) failed; their records say why (results kept in %s). Exit status %d: "
                "incomplete.\n",
                failed, set->output_dir, TDM_EXIT_INCOMPLETE);
    for (int k = 0; k < done_runs; k++)
        tdm_run_data_free(&runs[k]);
    free(runs);
    free(names);
    json_decref(prov);
    tdm_gpu_telemetry_close(&r.gpu);
    return status;
}

int tdm_runner_execute(const tdm_runtime_ops *ops, tdm_runtime *rt, const tdm_scenario *s, const tdm_run_settings *set)
{
    /* The servers are locked before anything touches them (preflight, warm-up) and until
     * every result is written. */
    tdm_endpoint_locks locks = {0};
    int rc = tdm_run_lock_servers(s, set, ops->variant, &locks);
    if (rc != TDM_EXIT_OK)
        return rc;
    tdm_run_settings chosen = *set;
    char *dir = NULL;
    rc = execute(ops, rt, s, &chosen, &locks, &dir);
    free(dir);
    tdm_endpoint_locks_release(&locks);
    return rc;
}
