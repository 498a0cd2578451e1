/* endpoint_lock.h — one measurement per server on this host, whoever runs it.
 *
 * Before a run or a sweep's cell measures, it takes an exclusive lock on every server it
 * talks to: a lock file per server under a host-wide folder, locked with flock(2). Plain
 * `tandem-<variant> run`s, sweeps, emitted `--cell` jobs and Slurm tasks on one node all
 * use the same folder, so a second measurement that wants a server already in use waits
 * (or, with --no-wait, gives up) instead of measuring the first one's load as its own. flock locks belong to the open file,
 * so a process that dies, crash or SIGKILL included, drops them with it.
 *
 * The file holds who has the lock (pid, host, what is measured, since when) so a waiting
 * cell can say whom it waits for, and, once released, the instant of the release on
 * CLOCK_BOOTTIME (one clock for every process of the host), so the next holder can keep
 * the experiment's cool-down after a measurement another process made. */
#ifndef TDM_CORE_ENDPOINT_LOCK_H
#define TDM_CORE_ENDPOINT_LOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The folder: $TANDEM_LOCK_DIR, else /tmp/tandem-locks (created, mode 1777 like /tmp,
 * so that every user of the host shares it). */
const char *tdm_endpoint_lock_dir(void);

/* The lock file's name for a server URL: "<host>_<port>.lock", with every loopback
 * name (localhost, 127.x.y.z, ::1, 0.0.0.0) folded into 127.0.0.1, since they reach the
 * same server. Returns 0, or -1 when the URL has no host (err says so). */
int tdm_endpoint_lock_name(const char *url, char *out, size_t len, char *err, size_t errlen);

/* How many lock files the URLs need: one per server, after the folding above (n when a
 * URL names no server, which the scenario's checks refuse anyway). */
size_t tdm_endpoint_lock_count(char *const *urls, size_t n);

typedef struct tdm_endpoint_locks {
    int *fds;                 /* one per distinct lock file, in name order; -1 unused */
    char **paths;
    size_t n;
    int64_t last_release_ns;  /* latest release by an earlier holder (CLOCK_BOOTTIME); 0: none known */
    int64_t taken_ns;         /* when tdm_endpoint_locks_take got them all (CLOCK_BOOTTIME); 0: not taken */
    int64_t waited_ns;        /* how long it waited for a busy server first; 0: none was busy */
    char waited_for[1024];    /* the busy holder it first found ("" when none) */
} tdm_endpoint_locks;

/* Tries to take the lock of every URL without waiting. Returns 0 when all are held;
 * 1 when one is busy (those taken are let go again, and `holder` says who has the busy
 * one and since when); -1 on an error (err names the file and the fix). `what` is written
 * into each lock file for a waiting cell to show. URLs reaching the same server count once. */
int tdm_endpoint_locks_try(tdm_endpoint_locks *l, char *const *urls, size_t n, const char *what, char *holder,
                           size_t holderlen, char *err, size_t errlen);

/* Lets every lock go, writing the release instant into each file first. */
void tdm_endpoint_locks_release(tdm_endpoint_locks *l);

/* How tdm_endpoint_locks_take waits for a busy server. */
typedef struct tdm_lock_wait {
    bool no_wait;                                   /* give up at once (the caller exits 4) */
    int (*pause_ms)(int64_t ms);                    /* sleeps; non-zero when interrupted meanwhile */
    void (*waiting)(const char *holder, void *ctx); /* said once, when the first try finds one busy */
    void *ctx;
} tdm_lock_wait;

enum { TDM_LOCKS_HELD = 0, TDM_LOCKS_BUSY = 1, TDM_LOCKS_INTERRUPTED = 2, TDM_LOCKS_ERROR = -1 };

/* tdm_endpoint_locks_try until every lock is held, pausing between tries; returns a
 * TDM_LOCKS_* value. BUSY (with w->no_wait) leaves the holder's description in holder;
 * ERROR leaves the message in err. */
int tdm_endpoint_locks_take(tdm_endpoint_locks *l, char *const *urls, size_t n, const char *what,
                            const tdm_lock_wait *w, char *holder, size_t holderlen, char *err, size_t errlen);

/* CLOCK_BOOTTIME in nanoseconds: the clock of last_release_ns. */
int64_t tdm_endpoint_lock_now_ns(void);

/* What a measurement's provenance says of the locks it held, as evidence that nothing
 * else measured on its servers meanwhile: {"taken_by", "folder", "files" (names),
 * "waited_s", "waited_for" (null when no server was busy), "idle_before_s" (from the
 * servers' last release, by any process, to the taking; null when none is known)}.
 * Call it while they are held (tdm_endpoint_locks_take returned HELD). NULL when out of
 * memory. */
json_t *tdm_endpoint_locks_json(const tdm_endpoint_locks *l, const char *taken_by);

#endif
