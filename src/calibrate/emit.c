/* emit.c — the client's token arrival times against tandem-sim's emission log.
 *
 * The simulator logs, per generate/chat request, its start and the CLOCK_MONOTONIC
 * instant each token's write was handed to the kernel; the client records each token
 * event's arrival on the same clock. On one port the requests are served one after
 * another, so the n-th generate request the simulator saw on a port is the n-th call
 * the client began on it. Arrival minus emission is then the measurement error of that
 * token's timestamp: loopback transport, waiting in the socket, and the client's own
 * scheduling and parsing. Only concurrent-phase calls are summarised (the stress case).
 *
 * The log also gives each token's due instant in the model, so the time a run's last
 * call took past its model duration splits into four parts: the client's dispatch after
 * the release, the request's way to the simulator, the simulator writing late (it shares
 * the cores), and the client reading late. That tells a harness that bends the curve
 * from a simulator that cannot keep its own schedule. */
#include "calibrate/calibrate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/quantile.h"

typedef struct sim_req {
    int port;
    int64_t conn, req;
    int64_t t_start;
    int64_t *tok;      /* t_ns by token index; 0: not seen */
    int64_t *due;      /* the model's instant for that token (due_ns) */
    size_t n_tok, cap_tok;
    bool generate;     /* /api/generate or /api/chat */
} sim_req;

typedef struct sim_log {
    sim_req *r;
    size_t n, cap;
} sim_log;

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec;

static int dvec_push(dvec *d, double x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 256;
        double *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return -1;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return 0;
}

/* The request (port, conn, req), created on first sight. Searched from the newest: a
 * request's lines come close together. */
static sim_req *find(sim_log *l, int port, int64_t conn, int64_t req)
{
    for (size_t i = l->n; i-- > 0;)
        if (l->r[i].port == port && l->r[i].conn == conn && l->r[i].req == req)
            return &l->r[i];
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        sim_req *r = realloc(l->r, cap * sizeof *r);
        if (!r)
            return NULL;
        l->r = r;
        l->cap = cap;
    }
    sim_req *r = &l->r[l->n++];
    memset(r, 0, sizeof *r);
    r->port = port;
    r->conn = conn;
    r->req = req;
    return r;
}

static int set_token(sim_req *r, size_t i, int64_t t, int64_t due)
{
    if (i >= r->cap_tok) {
        size_t cap = r->cap_tok ? r->cap_tok : 64;
        while (cap <= i)
            cap *= 2;
        int64_t *tok = realloc(r->tok, cap * sizeof *tok);
        if (!tok)
            return -1;
        r->tok = tok;
        int64_t *d = realloc(r->due, cap * sizeof *d);
        if (!d)
            return -1;
        r->due = d;
        memset(tok + r->cap_tok, 0, (cap - r->cap_tok) * sizeof *tok);
        memset(d + r->cap_tok, 0, (cap - r->cap_tok) * sizeof *d);
        r->cap_tok = cap;
    }
    r->tok[i] = t;
    r->due[i] = due;
    if (i + 1 > r->n_tok)
        r->n_tok = i + 1;
    return 0;
}

static int read_log(const char *path, sim_log *l, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open the emission log %s", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *e = json_loadb(line, (size_t)len, 0, &je);
        if (!e)
            continue; /* a torn last line cannot happen after a clean exit; skip anyway */
        int port = (int)json_integer_value(json_object_get(e, "port"));
        sim_req *r = find(l, port, json_integer_value(json_object_get(e, "conn")),
                          json_integer_value(json_object_get(e, "req")));
        if (!r) {
            rc = -1;
        } else {
            const char *ev = json_string_value(json_object_get(e, "ev"));
            json_t *i = json_object_get(e, "i");
            int64_t t = json_integer_value(json_object_get(e, "t_ns"));
            if (ev && strcmp(ev, "start") == 0) {
                const char *p = json_string_value(json_object_get(e, "path"));
                r->t_start = t;
                r->generate = p && (strcmp(p, "/api/generate") == 0 || strcmp(p, "/api/chat") == 0 ||
                                    strcmp(p, "/v1/chat/completions") == 0);
            } else if (json_is_integer(i) && json_integer_value(i) >= 0) {
                rc = set_token(r, (size_t)json_integer_value(i), t,
                               json_integer_value(json_object_get(e, "due_ns")));
            }
        }
        json_decref(e);
    }
    free(line);
    fclose(f);
    if (rc != 0)
        snprintf(err, errlen, "out of memory reading %s", path);
    return rc;
}

static int port_of(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? strchr(p + 3, ':') : NULL;
    return p ? atoi(p + 1) : -1;
}

typedef struct ccall {
    int port;
    int run;           /* index into the runs' records */
    int64_t t_begin;
    json_t *call;
} ccall;

/* Where the latest call of a run spent the time past its model duration, in ms. */
typedef struct end_split {
    int64_t arrival;   /* its last token's arrival at the client; 0: none yet */
    double dispatch, reach, sim_late, read;
} end_split;

static int by_port_time(const void *a, const void *b)
{
    const ccall *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->t_begin < y->t_begin ? -1 : x->t_begin > y->t_begin;
}

static int sreq_by_port_time(const void *a, const void *b)
{
    const sim_req *x = *(sim_req *const *)a, *y = *(sim_req *const *)b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->t_start < y->t_start ? -1 : x->t_start > y->t_start;
}

/* The common release of the concurrent phase in one run's records (0 if absent). */
static int64_t release_of(json_t *rec)
{
    json_t *a = json_array_get(json_object_get(json_object_get(rec, "concurrent"), "agents"), 0);
    return json_integer_value(json_object_get(a, "release_ns"));
}

/* Keeps, per run, the split of the call whose last token reached the client last: the
 * one that ends T_conc. Its time past the model's duration is the sum of the four. */
static void split_end(end_split *s, json_t *rec, json_t *c, const sim_req *r, size_t last)
{
    int64_t begin = json_integer_value(json_object_get(c, "t_begin_ns"));
    int64_t start = json_integer_value(json_object_get(c, "t_start_ns"));
    int64_t arrival = begin + json_integer_value(json_array_get(json_object_get(json_object_get(c, "events"),
                                                                                "dt_ns"), last));
    if (s->arrival != 0 && arrival <= s->arrival)
        return;
    s->arrival = arrival;
    s->dispatch = (double)(start - release_of(rec)) / 1e6;
    s->reach = (double)(r->t_start - start) / 1e6;
    s->sim_late = (double)(r->tok[last] - r->due[last]) / 1e6;
    s->read = (double)(arrival - r->tok[last]) / 1e6;
}

static void mean_split(const end_split *s, int runs, tdm_cal_eff *e)
{
    int n = 0;
    double d = 0, r = 0, l = 0, q = 0;
    for (int k = 0; k < runs; k++)
        if (s[k].arrival != 0) {
            n++;
            d += s[k].dispatch;
            r += s[k].reach;
            l += s[k].sim_late;
            q += s[k].read;
        }
    e->end_runs = n;
    if (n) {
        e->end_dispatch_ms = d / n;
        e->end_reach_ms = r / n;
        e->end_sim_late_ms = l / n;
        e->end_read_ms = q / n;
    }
}

int tdm_cal_emit_match(char *const *emit_paths, size_t n_paths, const char *out_dir, int runs, tdm_cal_eff *e,
                       char *err, size_t errlen)
{
    sim_log log = {0};
    json_t **rec = calloc((size_t)runs, sizeof *rec);
    ccall *cc = NULL;
    sim_req **sr = NULL;
    dvec ttft = {0}, tok = {0}, late = {0};
    end_split *ends = calloc((size_t)runs, sizeof *ends);
    int rc = -1;
    size_t n_c = 0, n_s = 0;
    if (!rec || !ends) {
        snprintf(err, errlen, "out of memory");
        free(rec);
        free(ends);
        return -1;
    }
    for (size_t p = 0; p < n_paths; p++)
        if (read_log(emit_paths[p], &log, err, errlen) != 0)
            goto out;
    for (int k = 0; k < runs; k++) {
        char *rpath = tdm_cal_strdup_printf("%s/run_%d/records.json", out_dir, k + 1);
        rec[k] = tdm_read_json_file(rpath, err, errlen);
        free(rpath);
        if (!rec[k])
            goto out;
        n_c += json_array_size(json_object_get(rec[k], "calls"));
    }
    cc = calloc(n_c ? n_c : 1, sizeof *cc);
    sr = calloc(log.n ? log.n : 1, sizeof *sr);
    if (!cc || !sr) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* Every call of every run (warm-up and sequential too): the order on a port is the
     * order of all of them. */
    size_t j = 0;
    for (int k = 0; k < runs; k++) {
        json_t *calls = json_object_get(rec[k], "calls");
        for (size_t i = 0; i < json_array_size(calls); i++, j++) {
            json_t *c = json_array_get(calls, i);
            cc[j].port = port_of(json_string_value(json_object_get(c, "url")));
            cc[j].run = k;
            cc[j].t_begin = json_integer_value(json_object_get(c, "t_begin_ns"));
            cc[j].call = c;
        }
    }
    for (size_t i = 0; i < log.n; i++)
        if (log.r[i].generate)
            sr[n_s++] = &log.r[i];
    if (n_s != n_c) {
        snprintf(err, errlen, "the simulator saw %zu generate requests, the client recorded %zu calls", n_s, n_c);
        goto out;
    }
    qsort(cc, n_c, sizeof *cc, by_port_time);
    qsort(sr, n_s, sizeof *sr, sreq_by_port_time);
    for (size_t i = 0; i < n_c; i++) {
        if (cc[i].port != sr[i]->port) {
            snprintf(err, errlen, "calls per port differ between the client and the simulator (port %d)", cc[i].port);
            goto out;
        }
        json_t *c = cc[i].call;
        if (strcmp(json_string_value(json_object_get(c, "phase")), "concurrent") != 0)
            continue;
        json_t *dt = json_object_get(json_object_get(c, "events"), "dt_ns");
        size_t n = json_array_size(dt);
        if (n > sr[i]->n_tok)
            n = sr[i]->n_tok;
        for (size_t k = 0; k < n; k++) {
            if (sr[i]->tok[k] == 0)
                continue;
            double d = (double)(cc[i].t_begin + json_integer_value(json_array_get(dt, k)) - sr[i]->tok[k]) / 1e6;
            if ((k == 0 && dvec_push(&ttft, d) != 0) || dvec_push(&tok, d) != 0 ||
                dvec_push(&late, (double)(sr[i]->tok[k] - sr[i]->due[k]) / 1e6) != 0) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
        }
        if (n > 0 && sr[i]->tok[n - 1] != 0)
            split_end(&ends[cc[i].run], rec[cc[i].run], c, sr[i], n - 1);
    }
    e->matched_calls = ttft.n;
    if (ttft.n) {
        e->ttft_err_p50_ms = tdm_quantile_inplace(ttft.v, ttft.n, 0.5);
        e->ttft_err_p99_ms = tdm_quantile_inplace(ttft.v, ttft.n, 0.99);
        e->ttft_err_max_ms = ttft.v[ttft.n - 1]; /* sorted by the call above */
    }
    if (tok.n) {
        e->tok_delay_p50_ms = tdm_quantile_inplace(tok.v, tok.n, 0.5);
        e->tok_delay_p99_ms = tdm_quantile_inplace(tok.v, tok.n, 0.99);
        e->sim_late_p50_ms = tdm_quantile_inplace(late.v, late.n, 0.5);
        e->sim_late_p99_ms = tdm_quantile_inplace(late.v, late.n, 0.99);
    }
    mean_split(ends, runs, e);
    rc = 0;
out:
    for (size_t i = 0; i < log.n; i++) {
        free(log.r[i].tok);
        free(log.r[i].due);
    }
    free(log.r);
    free(cc);
    free(sr);
    free(ttft.v);
    free(tok.v);
    free(late.v);
    free(ends);
    for (int k = 0; k < runs; k++)
        json_decref(rec[k]);
    free(rec);
    return rc;
}
