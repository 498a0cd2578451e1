/* transfer.c — tandem's own HTTP/1.1 client wired to the core's call consumer (see
 * transfer.h).
 *
 * Reads: the conn counts every read() it makes. Before the bytes of a read reach the
 * core (tdm_call_slice), the core hears of that read (tdm_call_read), stamped in reactor
 * use with the readiness instant taken just before the conn's one read() — as the curl
 * path stamps each write-callback delivery — and in blocking mode, where nothing runs
 * between a wait and its read(), with the instant the bytes are handed over. Reads
 * that brought no byte before the call's first byte (an EOF, a timed-out or spurious
 * read) are left out, so t_first_byte is always the arrival of a byte; every other
 * read() of the call is counted, including ones that carried only chunk framing. */
#include "reactorhttp/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/interrupt.h"
#include "reactor/reactor.h"

static void start_next(tdm_h1call *t, int64_t now);

static void add_stats(tdm_http1_conn_stats *acc, const tdm_http1_conn_stats *s)
{
    acc->reads += s->reads;
    acc->reads_empty += s->reads_empty;
    acc->bytes_read += s->bytes_read;
    acc->writes += s->writes;
    acc->bytes_written += s->bytes_written;
    acc->connects += s->connects;
    acc->reuses += s->reuses;
    acc->retries += s->retries;
    acc->requests += s->requests;
    acc->responses += s->responses;
}

static void drop_conn(tdm_h1call *t)
{
    if (!t->conn)
        return;
    add_stats(&t->retired, tdm_http1_conn_get_stats(t->conn));
    tdm_http1_conn_free(t->conn); /* deferred by the conn when inside its own callback */
    t->conn = NULL;
}

void tdm_h1call_init(tdm_h1call *t, const tdm_http1_conn_opts *opts, tdm_h1call_done_fn on_done, void *ud)
{
    memset(t, 0, sizeof *t);
    if (opts)
        t->opts = *opts;
    t->on_done = on_done;
    t->ud = ud;
}

void tdm_h1call_cleanup(tdm_h1call *t)
{
    if (t->active)
        tdm_call_free(&t->call);
    t->active = false;
    drop_conn(t);
    free(t->url);
    free(t->body);
    t->url = t->body = NULL;
}

void tdm_h1call_add_stats(const tdm_h1call *t, tdm_http1_conn_stats *acc)
{
    add_stats(acc, &t->retired);
    if (t->conn)
        add_stats(acc, tdm_http1_conn_get_stats(t->conn));
}

/* ---- what the core hears ------------------------------------------------------------- */

/* The request is being written: reported once per call, at `at` (the readiness instant
 * before the send), or when 0 at the instant the conn finished connecting, which it
 * takes right before its first send(). */
static void sync_started(tdm_h1call *t, int64_t at)
{
    if (!t->active || t->call.rec->t_start != 0)
        return;
    const tdm_http1_timing *tm = tdm_http1_conn_timing(t->conn);
    if (tm->connected_ns == 0)
        return; /* still connecting */
    bool reused = tdm_http1_conn_get_stats(t->conn)->reuses > t->reuses_at_start;
    int64_t connect_ns = reused ? 0 : tm->connected_ns - tm->start_ns;
    tdm_call_request_started(&t->call, at ? at : tm->connected_ns, connect_ns, reused);
}

/* Tells the core about the conn's read() calls it has not heard of yet, stamped at
 * `at` (see the header comment for which reads count). */
static void flush_reads(tdm_h1call *t, int64_t at)
{
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(t->conn);
    if (st->bytes_read > t->bytes_at_start)
        for (; t->reads_seen < st->reads; t->reads_seen++)
            tdm_call_read(&t->call, at);
    t->reads_seen = st->reads;
}

/* When the current read happened: the readiness instant in reactor use. */
static int64_t read_instant(const tdm_h1call *t, int64_t now)
{
    return t->opts.blocking || t->ready_ns == 0 ? now : t->ready_ns;
}

/* At every callback that delivers response bytes. Returns false when a timeout was just
 * recorded (blocking mode, where no timer watches the call). */
static bool progress(tdm_h1call *t, int64_t now)
{
    sync_started(t, 0);
    if (t->opts.blocking && tdm_call_check_timeouts(&t->call, now))
        return false; /* before the flush, so a gap before this read still counts */
    flush_reads(t, read_instant(t, now));
    return true;
}

/* The agent's URL for connection problems (as configured), the call's for the rest. */
static const char *agent_url(const tdm_h1call *t)
{
    return t->job->agent->url;
}

static void fail_timeout(tdm_h1call *t, int64_t now, const char *why)
{
    if (t->call.finished || tdm_call_check_timeouts(&t->call, now))
        return;
    /* The socket's timeout for the stage fired a hair before the core's clock says the
     * limit passed: say which stage stalled all the same. */
    const tdm_call_record *r = t->call.rec;
    const tdm_timeouts *to = &t->call.timeouts;
    char msg[600];
    tdm_error_kind kind;
    if (r->t_start == 0) {
        kind = TDM_ERR_TIMEOUT_CONNECT;
        snprintf(msg, sizeof msg, "no connection to %s within timeouts.connect_ms = %lld ms (%s)", agent_url(t),
                 (long long)to->connect_ms, why);
    } else if (r->t_first_byte == 0) {
        kind = TDM_ERR_TIMEOUT_FIRST_BYTE;
        snprintf(msg, sizeof msg, "no response byte from %s within timeouts.first_byte_ms = %lld ms (%s)", t->url,
                 (long long)to->first_byte_ms, why);
    } else {
        kind = TDM_ERR_TIMEOUT_IDLE;
        snprintf(msg, sizeof msg, "the stream from %s stalled: nothing for timeouts.idle_ms = %lld ms (%s)", t->url,
                 (long long)to->idle_ms, why);
    }
    tdm_call_fail(&t->call, kind, now, msg);
}

/* Maps a tdm_http1 error kind to the record, unless the core already settled the call
 * (a failure it recorded itself, or a final line that is already in). */
static void record_error(tdm_h1call *t, int kind, const char *why, int64_t now)
{
    tdm_call *c = &t->call;
    tdm_call_record *r = c->rec;
    if (c->finished)
        return;
    char msg[800];
    switch (kind) {
    case TDM_HTTP1_ERR_URL:
        snprintf(msg, sizeof msg,
                 "cannot use the URL %s: %s; tandem's own HTTP client speaks plain http:// only, so fix the agent's "
                 "url",
                 t->url, why);
        tdm_call_fail(c, TDM_ERR_CONNECT, now, msg);
        break;
    case TDM_HTTP1_ERR_RESOLVE:
    case TDM_HTTP1_ERR_CONNECT:
        snprintf(msg, sizeof msg,
                 "cannot connect to %s (%s); is Ollama running there? Start it with 'ollama serve' (or 'just sim' "
                 "for the simulator), or fix the agent's url",
                 agent_url(t), why);
        tdm_call_fail(c, TDM_ERR_CONNECT, now, msg);
        break;
    case TDM_HTTP1_ERR_TIMEOUT:
        fail_timeout(t, now, why);
        break;
    case TDM_HTTP1_ERR_CLOSED:
    case TDM_HTTP1_ERR_READ:
    case TDM_HTTP1_ERR_WRITE:
        /* Let the core decide: a complete final line may already be in. */
        tdm_call_end(c, now);
        if (!r->ok && r->error_kind == TDM_ERR_DISCONNECTED && r->error_message) {
            if (r->http_status == 0)
                snprintf(msg, sizeof msg,
                         "the connection to %s closed before any response (%s); did the server crash or restart?",
                         agent_url(t), why);
            else
                snprintf(msg, sizeof msg, "the connection to %s dropped mid-response (%s): %s", agent_url(t), why,
                         r->error_message);
            char *m = strdup(msg);
            if (m) {
                free(r->error_message);
                r->error_message = m;
            }
        }
        break;
    case TDM_HTTP1_ERR_PROTOCOL:
    case TDM_HTTP1_ERR_TOO_LARGE:
    case TDM_HTTP1_ERR_UNSUPPORTED:
        snprintf(msg, sizeof msg, "malformed HTTP response from %s: %s; is this an Ollama server?", t->url, why);
        tdm_call_fail(c, TDM_ERR_PROTOCOL, now, msg);
        break;
    case TDM_HTTP1_ERR_NOMEM:
        snprintf(msg, sizeof msg, "out of memory during the request to %s", t->url);
        tdm_call_fail(c, TDM_ERR_INTERNAL, now, msg);
        break;
    default: /* ARG, ABORTED without a recorded cause */
        snprintf(msg, sizeof msg, "the request to %s failed: %s (%s)", t->url, why, tdm_http1_error_name(kind));
        tdm_call_fail(c, TDM_ERR_INTERNAL, now, msg);
        break;
    }
}

/* ---- the connection's callbacks -------------------------------------------------------- */

static int on_status(void *ud, int status)
{
    tdm_h1call *t = ud;
    int64_t now = tdm_now_ns();
    if (!progress(t, now))
        return 1;
    tdm_call_status(&t->call, status, now);
    return 0;
}

static int on_body(void *ud, const char *data, size_t len)
{
    tdm_h1call *t = ud;
    if (!progress(t, tdm_now_ns()))
        return 1;
    /* Non-zero aborts the response: the core has recorded why (e.g. a line too long). */
    return tdm_call_slice(&t->call, data, len) == TDM_CALL_FAILED ? 1 : 0;
}

/* The call's outcome is in the record: free it and go on with the agent's next call. */
static void settle(tdm_h1call *t, int64_t now)
{
    tdm_call_record *r = t->call.rec;
    /* A reused connection found closed was resent on a fresh one: the answer did not
     * come over a reused connection (its connect time is not measured then). */
    if (t->conn && tdm_http1_conn_get_stats(t->conn)->retries > t->retries_at_start) {
        r->reused_connection = false;
        r->retried_stale_connection = true;
        free(r->first_error);
        r->first_error = strdup("the reused connection was closed or reset by the server before any response "
                                "byte (resent once on a fresh connection)");
    }
    tdm_call_free(&t->call);
    t->active = false;
    if (tdm_job_call_finished(t->job, now)) {
        if (t->on_done)
            t->on_done(t, t->ud);
        return;
    }
    start_next(t, now);
}

static void on_complete(void *ud)
{
    tdm_h1call *t = ud;
    int64_t now = tdm_now_ns();
    progress(t, now);
    tdm_call_end(&t->call, now);
    settle(t, now);
}

static void on_error(void *ud, int kind, const char *message)
{
    tdm_h1call *t = ud;
    int64_t now = tdm_now_ns();
    sync_started(t, 0);
    /* A timed-out wait is judged on the time before the read that ended it. */
    if (kind == TDM_HTTP1_ERR_TIMEOUT)
        fail_timeout(t, now, message);
    flush_reads(t, read_instant(t, now));
    record_error(t, kind, message, now);
    settle(t, now);
}

static const tdm_http1_cbs callbacks = {
    .on_status = on_status,
    .on_body = on_body,
    .on_complete = on_complete,
    .on_error = on_error,
};

/* ---- starting calls ------------------------------------------------------------------------ */

static bool same_origin(const tdm_http1_url *a, const tdm_http1_url *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* Sends rec's request; false (with the failure recorded) when it could not even start. */
static bool issue(tdm_h1call *t, int64_t now)
{
    char err[512] = "";
    int rc = tdm_http1_url_parse(t->url, &t->target, err, sizeof err);
    if (rc != 0) {
        record_error(t, rc, err, now);
        return false;
    }
    if (t->conn && !same_origin(&t->origin, &t->target))
        drop_conn(t);
    if (!t->conn) {
        t->origin = t->target;
        t->conn = tdm_http1_conn_new(&t->origin, &t->opts);
        if (!t->conn) {
            record_error(t, TDM_HTTP1_ERR_NOMEM, "cannot create the connection", now);
            return false;
        }
    }
    const tdm_http1_conn_stats *st = tdm_http1_conn_get_stats(t->conn);
    t->reads_seen = st->reads;
    t->bytes_at_start = st->bytes_read;
    t->ready_ns = 0;
    t->reuses_at_start = st->reuses;
    t->retries_at_start = st->retries;
    uint64_t writes = st->writes;
    rc = tdm_http1_conn_request(t->conn, "POST", t->target.path, t->body, strlen(t->body), &callbacks, t, err,
                                sizeof err);
    if (rc != 0) {
        record_error(t, rc, err, tdm_now_ns());
        return false;
    }
    /* A kept-alive connection wrote the request at once: it started when the request
     * did (tdm_http1_timing.connected_ns is start_ns on reuse). */
    if (tdm_http1_conn_get_stats(t->conn)->writes > writes)
        sync_started(t, 0);
    return true;
}

/* Hands out the agent's calls until one is in flight or the agent is done. A call that
 * fails before any I/O (refused at once, bad URL) is settled here, without recursion. */
static void start_next(tdm_h1call *t, int64_t now)
{
    for (;;) {
        /* Not due yet (an open-loop arrival): a blocking thread sleeps, a reactor's
         * driver arms a timer and resumes here when it fires. */
        int64_t due = tdm_job_due(t->job);
        if (due > now && t->opts.blocking) {
            tdm_job_wait_due(t->job);
            now = tdm_now_ns();
        } else if (due > now && t->on_hold && !tdm_interrupt_requested()) {
            t->on_hold(t, due, t->ud);
            return;
        }
        free(t->url);
        free(t->body);
        t->url = t->body = NULL;
        tdm_call_record *rec = tdm_job_next(t->job, &t->url, &t->body, now);
        if (!rec) {
            tdm_job_call_finished(t->job, now);
            if (t->on_done)
                t->on_done(t, t->ud);
            return;
        }
        const tdm_scenario *s = t->job->scenario;
        tdm_call_init(&t->call, rec, &s->timeouts, (size_t)s->max_line_bytes);
        tdm_call_begin(&t->call, now);
        t->active = true;
        t->seq++;
        if (issue(t, now))
            return;
        tdm_call_free(&t->call);
        t->active = false;
        now = tdm_now_ns();
        if (tdm_job_call_finished(t->job, now)) {
            if (t->on_done)
                t->on_done(t, t->ud);
            return;
        }
    }
}

void tdm_h1call_on_hold(tdm_h1call *t, tdm_h1call_hold_fn fn)
{
    t->on_hold = fn;
}

void tdm_h1call_resume(tdm_h1call *t, int64_t now)
{
    if (t->job && !t->active)
        start_next(t, now);
}

void tdm_h1call_start_job(tdm_h1call *t, tdm_agent_job *job, int64_t now)
{
    t->job = job;
    start_next(t, now);
}

/* ---- reactor use ---------------------------------------------------------------------------- */

void tdm_h1call_ready(tdm_h1call *t, int fd, unsigned events)
{
    tdm_http1_conn *c = t->conn;
    if (!c || tdm_http1_conn_fd(c) != fd)
        return; /* an fd of a connection already dropped */
    if (t->active) {
        /* The arrival instant of whatever the conn's one read() now brings. */
        t->ready_ns = tdm_now_ns();
        if (tdm_http1_conn_want(c) == TDM_HTTP1_WANT_WRITE && (events & (TDM_REACTOR_WRITE | TDM_REACTOR_ERROR)))
            sync_started(t, t->ready_ns); /* a no-op while still connecting */
    }
    uint64_t seq = t->seq;
    tdm_http1_conn_on_ready(c, events);
    if (t->active && t->seq == seq) {
        /* A connect that completed in this step was followed at once by the first send. */
        sync_started(t, 0);
        /* A read that delivered no body slice (framing only, or nothing). */
        flush_reads(t, t->ready_ns);
    }
}

bool tdm_h1call_check_timeouts(tdm_h1call *t, int64_t now)
{
    if (!t->active || !tdm_call_check_timeouts(&t->call, now))
        return false;
    /* on_error finds the call finished and only settles it. */
    tdm_http1_conn_abort(t->conn, TDM_HTTP1_ERR_TIMEOUT, "timed out");
    return true;
}

void tdm_h1call_abort(tdm_h1call *t, const char *message)
{
    if (!t->active)
        return;
    tdm_call_fail(&t->call, TDM_ERR_INTERNAL, tdm_now_ns(), message);
    tdm_http1_conn_abort(t->conn, TDM_HTTP1_ERR_ABORTED, message);
}

/* ---- blocking use ---------------------------------------------------------------------------- */

void tdm_h1call_run_blocking(tdm_h1call *t, tdm_agent_job *job)
{
    tdm_h1call_start_job(t, job, tdm_now_ns());
    while (t->active) {
        /* The conn bounds each stage (opts' connect, first-byte and io timeouts); the
         * deadline adds the call's total limit. Returns after each call: on_complete or
         * on_error has already issued the next. */
        const tdm_call_record *r = t->call.rec;
        int64_t deadline = r->t_begin + t->call.timeouts.total_ms * 1000000LL;
        int rc = tdm_http1_conn_wait(t->conn, t->call.timeouts.total_ms > 0 ? deadline : 0);
        if (rc == TDM_HTTP1_ERR_ARG && t->active) {
            /* Misuse (a conn not in blocking mode) or a call without a request in
             * flight: fail the call rather than spin on it. */
            if (tdm_http1_conn_busy(t->conn)) {
                tdm_h1call_abort(t, "tdm_h1call_run_blocking needs a connection in blocking mode");
            } else {
                tdm_call_fail(&t->call, TDM_ERR_INTERNAL, tdm_now_ns(), "the connection lost its request");
                settle(t, tdm_now_ns());
            }
        }
    }
}
