/* run_lock.c — a run's servers locked host-wide before it touches them (see run_lock.h). */
#include "core/run_lock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/interrupt.h"

/* Sleeps ms, cut short by SIGINT/SIGTERM (nanosleep is not restarted after a handler). */
static int pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (!tdm_interrupt_requested() && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return tdm_interrupt_requested();
}

/* Said even with --quiet: a run that seems to hang must say why. */
static void say_waiting(const char *holder, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "tandem: waits for its server, which is measuring for another process: %s\n", holder);
}

/* What the lock files say is measuring, and the provenance's taken_by. */
static void describe_run(char *out, size_t len, const tdm_scenario *s, const char *variant)
{
    snprintf(out, len, "tandem-%s run, scenario %s", variant, s->name ? s->name : "?");
}

/* The agents' server URLs, borrowed from s (free only the array); NULL when out of memory. */
static char **agent_urls(const tdm_scenario *s)
{
    char **urls = calloc(s->n_agents ? s->n_agents : 1, sizeof *urls);
    for (size_t i = 0; urls && i < s->n_agents; i++)
        urls[i] = s->agents[i].url;
    return urls;
}

size_t tdm_run_lock_files(const tdm_scenario *s)
{
    char **urls = agent_urls(s);
    if (!urls)
        return s->n_agents; /* the upper bound */
    size_t n = tdm_endpoint_lock_count(urls, s->n_agents);
    free(urls);
    return n;
}

int tdm_run_lock_servers(const tdm_scenario *s, const tdm_run_settings *set, const char *variant,
                         tdm_endpoint_locks *l)
{
    if (!set->lock_servers)
        return TDM_EXIT_OK;
    char **urls = agent_urls(s);
    if (!urls) {
        fprintf(stderr, "tandem: out of memory locking the servers\n");
        return TDM_EXIT_ERROR;
    }
    char what[512], holder[1024] = "", err[1024] = "";
    describe_run(what, sizeof what, s, variant);
    tdm_lock_wait w = {.no_wait = set->no_wait, .pause_ms = pause_ms, .waiting = say_waiting};
    int rc = tdm_endpoint_locks_take(l, urls, s->n_agents, what, &w, holder, sizeof holder, err, sizeof err);
    free(urls);
    switch (rc) {
    case TDM_LOCKS_HELD: return TDM_EXIT_OK;
    case TDM_LOCKS_BUSY:
        fprintf(stderr,
                "tandem: nothing measured: a server is measuring for another process (%s); run again later, "
                "without --no-wait to wait for it, or with --no-lock to measure beside it\n",
                holder);
        return TDM_EXIT_BUSY;
    case TDM_LOCKS_INTERRUPTED: return TDM_EXIT_INTERRUPTED;
    default:
        fprintf(stderr, "tandem: %s (or --no-lock to measure without the lock)\n", err);
        return TDM_EXIT_ERROR;
    }
}

json_t *tdm_run_lock_json(const tdm_scenario *s, const tdm_run_settings *set, const char *variant,
                          const tdm_endpoint_locks *l)
{
    if (!set->lock_servers)
        return json_pack("{s:n, s:s}", "taken_by", "why_not",
                         "--no-lock: measured without the servers' locks (a sweep's cell, whose sweep holds them "
                         "and says so here once the cell ends, or a run meant to share its servers)");
    char what[512];
    describe_run(what, sizeof what, s, variant);
    return tdm_endpoint_locks_json(l, what);
}
