/* emitlog.h — the emission log: one NDJSON line per token written and per request
 * start/end, with CLOCK_MONOTONIC nanoseconds, so tests and calibration runs can match
 * the client's arrival times against the moment each token reached the socket.
 *
 * On ports with a slot limit, "queued" and "slot" lines show each request's wait.
 *
 * Lines are buffered in memory and written out only when the caller decides it is a
 * quiet moment (or at exit), so logging never delays a token. */
#ifndef TDM_SIM_EMITLOG_H
#define TDM_SIM_EMITLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct tdm_sim_emitlog {
    int fd;      /* -1: logging is off and every call is a no-op */
    tdm_buf buf;
} tdm_sim_emitlog;

/* Opens path for appending (created 0644). Returns 0, or -1 with errno set. */
int tdm_sim_emitlog_open(tdm_sim_emitlog *l, const char *path);
/* Logging disabled. */
void tdm_sim_emitlog_none(tdm_sim_emitlog *l);
void tdm_sim_emitlog_token(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                           int64_t i, int64_t t_ns, int64_t due_ns);
void tdm_sim_emitlog_start(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                           int64_t t_ns, const char *method, const char *path);
void tdm_sim_emitlog_end(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                         int64_t t_ns, int status, int64_t tokens, const char *reason);
/* A request found every slot of its port taken at model time due_ns; `ahead` wait before it. */
void tdm_sim_emitlog_queued(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                            int64_t t_ns, int64_t due_ns, size_t ahead);
/* A request got a slot at model time due_ns after waiting wait_ns (0: it did not queue). */
void tdm_sim_emitlog_slot(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                          int64_t t_ns, int64_t due_ns, int64_t wait_ns);
/* Bytes waiting to be written. */
size_t tdm_sim_emitlog_pending(const tdm_sim_emitlog *l);
/* Writes out everything buffered. Returns 0, or -1 on a write error (then logging stops). */
int tdm_sim_emitlog_flush(tdm_sim_emitlog *l);
/* Flushes and closes. */
void tdm_sim_emitlog_close(tdm_sim_emitlog *l);

#endif
