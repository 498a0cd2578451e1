/* child.h — one cell's child process: the variant's binary, started with fork/exec in a
 * process group of its own (so a Ctrl-C in the terminal reaches the sweep only, and the
 * sweep stops the child's whole group itself), its stdout and stderr in files of the
 * cell, a time limit, and the sweep's own SIGINT/SIGTERM turned into "stop the child,
 * then stop". The child also dies with the sweep (PR_SET_PDEATHSIG), so a sweep killed
 * with SIGKILL leaves no orphan writing into a directory the next run will remove. */
#ifndef TDM_SWEEP_CHILD_H
#define TDM_SWEEP_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Blocks SIGINT, SIGTERM and SIGCHLD in the sweep: they are taken with sigtimedwait at
 * the points where the sweep waits, never in the middle of writing a file. */
void tdm_sweep_signals_init(void);

/* The signal that asked the sweep to stop (SIGINT or SIGTERM), 0 if none yet. Checks
 * for a pending one without waiting. */
int tdm_sweep_interrupted(void);

/* Sleeps ms unless a stop signal comes first; returns that signal, or 0. */
int tdm_sweep_sleep_ms(int64_t ms);

typedef struct tdm_child_result {
    int exit_status;     /* exit code; 128+N when killed by signal N; -1 when it never ran */
    bool timed_out;      /* stopped at the time limit */
    int interrupted_by;  /* the sweep was asked to stop (SIGINT/SIGTERM) while it ran; 0 if not */
    double duration_s;
} tdm_child_result;

/* Called once the child runs, with its pid (= its process group id). */
typedef void (*tdm_child_started_fn)(pid_t pid, void *arg);

/* Runs argv[0] (a path) with argv, stdout and stderr to the given files (created),
 * stdin from /dev/null. Returns 0 with *res filled once the child is gone, or -1 with
 * err when it could not be started (res->exit_status -1). */
int tdm_child_run(char *const argv[], const char *stdout_path, const char *stderr_path, int64_t timeout_ms,
                  tdm_child_started_fn started, void *arg, tdm_child_result *res, char *err, size_t errlen);

#endif
