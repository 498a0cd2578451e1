/* main.c — the entry point of every variant binary (tandem-<variant>). It is the same
 * file in every binary; the variant supplies only tdm_variant_runtime. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/clock.h"
#include "core/interrupt.h"
#include "core/plan.h"
#include "core/run_lock.h"
#include "core/runner.h"
#include "core/runtime.h"

/* `info [--threads N] [--read-buf BYTES]`: the runtime as `run` would create it with
 * those flags, so what info prints is what a run with them records. */
static int cmd_info(int argc, char **argv)
{
    tdm_scenario empty = {0};
    tdm_runtime_config cfg = {.scenario = &empty};
    char err[512];
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
        bool is_num = end && end != argv[i + 1] && *end == '\0' && v > 0;
        if (strcmp(argv[i], "--threads") == 0 && is_num && v <= 1024) {
            cfg.threads = (int)v;
        } else if (strcmp(argv[i], "--read-buf") == 0 && is_num && v <= 16 * 1024 * 1024) {
            cfg.read_buf = (size_t)v;
        } else {
            fprintf(stderr, "tandem: info takes --threads N (1-1024) and --read-buf BYTES (1-16777216); got '%s'\n",
                    argv[i]);
            return TDM_EXIT_USAGE;
        }
        i++;
    }
    tdm_runtime *rt = tdm_variant_runtime.create(&cfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "tandem: %s\n", err);
        return TDM_EXIT_ERROR;
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:o}", "variant", tdm_variant_runtime.variant, "summary",
                          tdm_variant_runtime.summary, "tandem_version", TDM_VERSION, "runtime",
                          tdm_variant_runtime.describe(rt));
    json_dumpf(d, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(d);
    tdm_variant_runtime.destroy(rt);
    return TDM_EXIT_OK;
}

/* SIGINT/SIGTERM during `run`: the first asks the core to stop (no new call, calls in
 * flight cut after a short grace, then the partial run, the summary and exit 130); the
 * second ends the process at once. Only async-signal-safe calls in here. */
static void on_interrupt(int sig)
{
    (void)sig;
    int saved = errno; /* the interrupted code may be about to read it */
    if (tdm_interrupt_request(tdm_now_ns()) > 1) {
        static const char bye[] = "\ntandem: interrupted again; exiting at once (results may be incomplete)\n";
        (void)!write(STDERR_FILENO, bye, sizeof bye - 1);
        _exit(TDM_EXIT_INTERRUPTED);
    }
    static const char msg[] = "\ntandem: interrupted; no new calls start, calls in flight get 2 s to finish, then "
                              "the partial run and the summary are written. Interrupt again to quit at once.\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    errno = saved;
}

static void catch_interrupts(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    /* Restarted system calls keep the runtimes' own waits undisturbed; epoll_wait
     * returns EINTR anyway and every loop retries it. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Descriptors a run needs besides one connection per agent: stdio, the event loop's
 * epoll/timer/wakeup fds, result files, telemetry and preflight pipes. */
#define FD_RESERVE 64

/* Every agent keeps one connection open from the warm-up to the end, and each distinct
 * server's lock file stays open as long (run_lock.h), so a run with hundreds of agents
 * needs more descriptors than the usual soft limit of 1,024. The soft
 * limit is raised (never lowered) up to the hard limit; a hard limit that is too low is
 * an error found before anything runs rather than EMFILE at the concurrent release.
 * Returns 0, or -1 with err. */
static int ensure_fd_limit(size_t n_agents, size_t n_locks, char *err, size_t errlen)
{
    rlim_t need = (rlim_t)(n_agents + n_locks) + FD_RESERVE;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0; /* nothing known: let the run say so if it ever hits the limit */
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        snprintf(err, errlen,
                 "%zu agents need %llu open files (a connection per agent, a lock per server without --no-lock, + %d), "
                 "but the hard limit on open files "
                 "(RLIMIT_NOFILE) is %llu; raise it (as root: 'ulimit -Hn %llu' in the shell that starts tandem, "
                 "LimitNOFILE= for a systemd unit, or nofile in /etc/security/limits.conf) or run fewer agents",
                 n_agents, (unsigned long long)need, FD_RESERVE, (unsigned long long)rl.rlim_max,
                 (unsigned long long)need);
        return -1;
    }
    /* An unlimited hard limit still stops at fs.nr_open: ask for what is needed there. */
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        snprintf(err, errlen, "%zu agents need %llu open files, but raising the soft limit to the hard limit failed: %s; "
                 "raise it with 'ulimit -n %llu' before starting tandem",
                 n_agents, (unsigned long long)need, strerror(errno), (unsigned long long)need);
        return -1;
    }
    return 0;
}

static int cmd_run(const char *prog, int argc, char **argv)
{
    tdm_cli cli;
    char err[2048] = "";
    int rc = tdm_cli_parse(argc, argv, tdm_variant_runtime.variant, &cli, err, sizeof err);
    if (rc == TDM_EXIT_OK && cli.help) {
        tdm_cli_usage(stdout, prog, &tdm_variant_runtime);
        tdm_cli_free(&cli);
        return TDM_EXIT_OK;
    }
    if (rc != TDM_EXIT_OK) {
        fprintf(stderr, "tandem: %s\n", err);
        tdm_cli_free(&cli);
        return rc;
    }
    size_t n_locks = cli.settings.lock_servers ? tdm_run_lock_files(&cli.scenario) : 0;
    if (ensure_fd_limit(cli.scenario.n_agents, n_locks, err, sizeof err) != 0) {
        fprintf(stderr, "tandem: %s\n", err);
        tdm_cli_free(&cli);
        return TDM_EXIT_ERROR;
    }
    tdm_runtime *rt = tdm_variant_runtime.create(&cli.runtime, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "tandem: cannot start the %s runtime: %s\n", tdm_variant_runtime.variant, err);
        tdm_cli_free(&cli);
        return TDM_EXIT_ERROR;
    }
    catch_interrupts();
    rc = tdm_runner_execute(&tdm_variant_runtime, rt, &cli.scenario, &cli.settings);
    tdm_variant_runtime.destroy(rt);
    tdm_cli_free(&cli);
    return rc;
}

/* `plan [run flags]`: what `run` with those flags would do, as JSON (core/plan.h). */
static int cmd_plan(const char *prog, int argc, char **argv)
{
    bool help = false;
    char err[2048] = "";
    int rc = tdm_plan_print(tdm_variant_runtime.variant, argc, argv, stdout, &help, err, sizeof err);
    if (help)
        printf("Usage: %s plan [the flags of run]\n\nPrints the run that `%s run` with the same flags would make, "
               "as JSON\n(schema tandem.plan/1; see docs/own-client.md). The flags: %s run --help.\n",
               prog, prog, prog);
    else if (rc != TDM_EXIT_OK)
        fprintf(stderr, "tandem: %s\n", err);
    return rc;
}

int main(int argc, char **argv)
{
    /* A server that closes mid-write must be a recorded failure, not a dead process. */
    signal(SIGPIPE, SIG_IGN);
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        tdm_cli_usage(argc < 2 ? stderr : stdout, prog, &tdm_variant_runtime);
        return argc < 2 ? TDM_EXIT_USAGE : TDM_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", prog, TDM_VERSION);
        return TDM_EXIT_OK;
    }
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(prog, argc - 1, argv + 1);
    if (strcmp(argv[1], "plan") == 0)
        return cmd_plan(prog, argc - 1, argv + 1);
    fprintf(stderr, "tandem: unknown command '%s'; try '%s run --help'\n", argv[1], prog);
    return TDM_EXIT_USAGE;
}
