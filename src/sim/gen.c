/* gen.c — one /api/generate, /api/chat or /v1/chat/completions request as a stream on
 * its device: cold load, a wait for one of its port's slots (slots.c), prefill, one line
 * (or SSE event) per token, the final line with counters, and the injected faults. How
 * each of those looks in the request's API is genwire.c's business.
 * Model times (due) drive the simulation and the counters; the emission log records
 * when each write actually reached the socket. Lines go out through the connection's
 * output path (cork.c); answering, finishing and closing the request go through the
 * connection's operations (c->ops, given by conn.c), so this file never calls back into
 * conn.c, which calls it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sim/genwire.h"
#include "sim/openai.h"
#include "sim/rng.h"
#include "sim/sim_int.h"

static const tdm_sim_faults *faults(const tdm_sim_conn *c)
{
    return &c->port->cfg->faults;
}

static void log_end(tdm_sim_conn *c, int status, const char *reason)
{
    tdm_sim_emitlog_end(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), status,
                        c->gen.produced, reason);
}

/* c holds a slot from model time t: its prompt evaluation starts on the device. */
static void slot_begin(tdm_sim_conn *c, int64_t t)
{
    tdm_sim_gen *g = &c->gen;
    g->has_slot = true;
    g->t_slot = t;
    g->phase = GEN_PREFILL;
    if (c->port->slots.limit > 0)
        tdm_sim_emitlog_slot(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), t,
                             t - g->t_load_end);
    tdm_sim_dev_start(&c->port->dev->dev, &c->job, t, g->prefill_work);
}

/* The stream leaves its device, its slot or place in the queue, and its model at model
 * time t. A slot it gives back goes at once to the first request waiting on the port. */
static void gen_release(tdm_sim_conn *c, int64_t t)
{
    tdm_sim_gen *g = &c->gen;
    if (g->phase == GEN_IDLE)
        return;
    tdm_sim_port *p = c->port;
    tdm_sim_dev_remove(&p->dev->dev, &c->job, t);
    if (g->phase == GEN_QUEUED) {
        tdm_sim_slots_cancel(&p->slots, &g->wait);
    } else if (g->has_slot) {
        g->has_slot = false;
        tdm_sim_slot_wait *next = tdm_sim_slots_release(&p->slots);
        if (next)
            slot_begin(next->owner, t);
    }
    tdm_sim_dev_touch(p->dev);
    tdm_sim_loaded_release(&c->port->loaded[g->model], t, g->keep_alive_ns);
    g->phase = GEN_IDLE;
    c->srv->active_gens--;
    tdm_sim_genreq_free(&g->rq);
    tdm_buf_free(&g->whole);
}

void tdm_sim_gen_abort(tdm_sim_conn *c, int64_t t, const char *reason)
{
    if (c->gen.phase == GEN_IDLE)
        return;
    /* Events due before t still happen (they may even finish this stream). Inside the
     * device's own run, model time is where the run has got to. */
    tdm_sim_devrt *d = c->port->dev;
    if (d->in_run)
        t = d->dev.t_last;
    tdm_sim_dev_sync(d, t);
    if (c->gen.phase == GEN_IDLE)
        return;
    if (t < d->dev.t_last)
        t = d->dev.t_last;
    log_end(c, 0, reason);
    gen_release(c, t);
}

/* Appends a stream's response head to c->out if it has not gone out yet: chunked on
 * HTTP/1.1; on HTTP/1.0 nothing delimits the body, so the connection ends with it (and
 * Go then sends no Connection header). */
static int head_once(tdm_sim_conn *c, int status, const char *ctype)
{
    if (c->gen.headers_sent)
        return 0;
    char date[32];
    tdm_sim_http_date(date);
    c->gen.headers_sent = true;
    if (!c->chunked)
        c->close_after = true;
    tdm_sim_http_head_spec h = {.minor = c->req.minor, .status = status, .content_type = ctype,
                                .date = date, .content_length = -1,
                                .connection = c->chunked && c->close_after ? "close" : NULL,
                                .chunked = c->chunked};
    return tdm_sim_http_head(&c->out, &h);
}

/* Frames one line (with its '\n') for the stream: a chunk, or raw for HTTP/1.0. */
static int frame(tdm_sim_conn *c, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    return c->chunked ? tdm_sim_http_chunk(&c->out, data, len) : tdm_buf_append(&c->out, data, len);
}

static const char *stream_type(const tdm_sim_conn *c)
{
    return tdm_sim_genwire_stream_type(c->gen.rq.api);
}

/* Sends c->line (a line or event, terminators included) as one streamed write: the head
 * first if still unsent. */
static int send_line(tdm_sim_conn *c, int64_t token, int64_t due, bool last)
{
    tdm_buf_reset(&c->out);
    if (head_once(c, 200, stream_type(c)) || frame(c, c->line.data, c->line.len) ||
        (last && c->chunked && tdm_buf_append_str(&c->out, TDM_SIM_HTTP_LAST_CHUNK))) {
        c->ops->close(c);
        return -1;
    }
    return tdm_sim_conn_send(c, c->out.data, c->out.len, token, due);
}

/* A complete (non-streamed) JSON answer, c->line, in the request's API. (The request's
 * api outlives tdm_sim_genreq_free, which frees only its strings.) */
static void respond_whole(tdm_sim_conn *c, int64_t t, int status, const char *reason)
{
    c->ops->respond(c, t, status, tdm_sim_genwire_json_type(c->gen.rq.api),
                    tdm_buf_str(&c->line), c->line.len, c->gen.produced, reason);
}

/* Ends the request at model time t after its last token. */
static void finish(tdm_sim_conn *c, int64_t t)
{
    tdm_sim_gen *g = &c->gen;
    tdm_sim_counters k = {
        .total_duration = t - g->t_arrival,
        .load_duration = g->t_load_end - g->t_arrival,
        .prompt_eval_count = g->rq.prompt_tokens,
        /* A wait for a slot is in total_duration only, as in Ollama. */
        .prompt_eval_duration = g->t_prefill_end - g->t_slot,
        .eval_count = g->produced,
        .eval_duration = t - g->t_prefill_end,
    };
    tdm_sim_genend e = {.whole = !g->rq.stream, .done_reason = g->done_reason, .counters = &k,
                        .text = tdm_buf_str(&g->whole), .text_len = g->whole.len,
                        .context = g->rq.ids, .n_context = g->rq.n_ids};
    tdm_buf_reset(&c->line);
    int r = tdm_sim_genwire_end(&c->line, &g->rq, g->oai_id, &e);
    const char *reason = g->done_reason;
    int64_t produced = g->produced;
    bool stream = g->rq.stream;
    gen_release(c, t);
    if (r) {
        c->ops->close(c);
        return;
    }
    if (!stream) {
        respond_whole(c, t, 200, reason);
        return;
    }
    if (send_line(c, -1, t, true) != 0)
        return;
    tdm_sim_emitlog_end(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), 200,
                        produced, reason);
    c->ops->done(c, t);
}

/* Builds the answer to a load-only request (empty prompt / no messages) into c->line. */
static int load_line(tdm_sim_conn *c, const char *done_reason)
{
    tdm_sim_genend e = {.whole = true, .done_reason = done_reason, .text = ""};
    tdm_buf_reset(&c->line);
    return tdm_sim_genwire_end(&c->line, &c->gen.rq, c->gen.oai_id, &e);
}

/* The runner fails after the tokens so far (faults error-line, error-event): the failure
 * as the API shows it, then a proper end of the chunked body. */
static void fail_error_line(tdm_sim_conn *c, int64_t t, bool event)
{
    char msg[96];
    snprintf(msg, sizeof msg, "simulated failure after %lld tokens", (long long)c->gen.produced);
    bool stream = c->gen.rq.stream;
    const char *reason = event ? "error-event" : "error-line";
    if (stream) /* a whole answer's end line comes with it (respond_whole) */
        log_end(c, 200, reason);
    tdm_buf_reset(&c->line);
    int r = tdm_sim_genwire_failure(&c->line, &c->gen.rq, c->gen.oai_id, msg, event);
    gen_release(c, t);
    if (r) {
        c->ops->close(c);
        return;
    }
    if (!stream) {
        respond_whole(c, t, 500, reason);
        return;
    }
    if (send_line(c, -1, t, true) == 0)
        c->ops->done(c, t);
}

/* The line of the malformed fault: an object cut off mid-string, as a broken proxy or a
 * crashed writer would leave it. */
static int malformed_line(tdm_sim_conn *c)
{
    tdm_buf_reset(&c->line);
    return tdm_sim_genwire_malformed(&c->line, &c->gen.rq, c->gen.oai_id);
}

/* Applies the faults due after c->gen.produced tokens. Returns true when the stream
 * ended (or stalled) here. */
static bool check_faults(tdm_sim_conn *c, int64_t t)
{
    const tdm_sim_faults *f = faults(c);
    tdm_sim_gen *g = &c->gen;
    int64_t k = g->produced;
    if (f->error_line == k || f->error_event == k) {
        fail_error_line(c, t, f->error_line != k);
        return true;
    }
    if (f->disconnect == k) {
        /* Tokens this device run held back (cork.c) were made before the drop: they go
         * out first, as they would have one write at a time. A failed write has closed
         * the connection and ended the stream already. */
        if (tdm_sim_cork_flush(c) != 0)
            return true;
        log_end(c, 0, "disconnect");
        gen_release(c, t);
        c->ops->close(c);
        return true;
    }
    if (f->stall == k) {
        log_end(c, 0, "stall");
        gen_release(c, t);
        c->state = C_STALLED; /* open, silent, until the client gives up */
        return true;
    }
    if (f->malformed == k && !g->malformed_sent) {
        g->malformed_sent = true;
        if (g->rq.stream) {
            if (malformed_line(c) || send_line(c, -1, t, false))
                return true;
        } else {
            /* respond_whole logs the request's end line (once). */
            gen_release(c, t);
            malformed_line(c);
            respond_whole(c, t, 200, "malformed");
            return true;
        }
    }
    return false;
}

/* Emits token g->produced (due at model time due). Returns -1 when the connection broke. */
static int emit_token(tdm_sim_conn *c, int64_t due)
{
    tdm_sim_gen *g = &c->gen;
    char text[TDM_SIM_TOKEN_MAX];
    int32_t id;
    size_t tlen = tdm_sim_textgen_next(&g->text, text, &id);
    if (g->rq.ids && g->rq.n_ids < TDM_SIM_MAX_CONTEXT_IDS)
        g->rq.ids[g->rq.n_ids++] = id;
    const tdm_sim_faults *f = faults(c);
    if (!g->rq.stream) {
        if (tdm_buf_append(&g->whole, text, tlen))
            return -1;
        if (f->oversized > 0 && g->produced == 0) {
            /* The whole answer then holds one oversized "token". */
            while (g->whole.len < (size_t)f->oversized)
                if (tdm_buf_append(&g->whole, "x", 1))
                    return -1;
        }
        return 0;
    }
    tdm_buf_reset(&c->line);
    if (tdm_sim_genwire_token(&c->line, &g->rq, g->oai_id, text, tlen))
        return -1;
    if (f->oversized > 0 && g->produced == 0 && c->line.len < (size_t)f->oversized) {
        /* Pad the text inside the JSON string so the line (or event), terminators
         * included, is exactly oversized bytes and still valid JSON. */
        size_t pad = (size_t)f->oversized - c->line.len;
        tdm_buf big = {0};
        bool chat = g->rq.chat;
        char *q = strstr(c->line.data, chat ? "\"content\":\"" : "\"response\":\"");
        size_t at = (size_t)(q - c->line.data) + (chat ? 11 : 12);
        int r = tdm_buf_append(&big, c->line.data, at);
        char xs[4096];
        memset(xs, 'x', sizeof xs);
        for (size_t i = 0; i < pad && !r; i += sizeof xs)
            r = tdm_buf_append(&big, xs, pad - i < sizeof xs ? pad - i : sizeof xs);
        r = r ? r : tdm_buf_append(&big, c->line.data + at, c->line.len - at);
        if (r) {
            tdm_buf_free(&big);
            return -1;
        }
        tdm_buf_free(&c->line);
        c->line = big;
    }
    if (f->utf8_split) {
        /* Split inside the first multi-byte character: its lead byte ends chunk one. */
        size_t split = 0;
        for (size_t i = 0; i < c->line.len; i++)
            if ((unsigned char)c->line.data[i] >= 0xc0) {
                split = i + 1;
                break;
            }
        if (split > 0) {
            tdm_buf_reset(&c->out);
            if (head_once(c, 200, stream_type(c)) || frame(c, c->line.data, split) ||
                tdm_sim_conn_send(c, c->out.data, c->out.len, -1, due))
                return -1;
            tdm_buf_reset(&c->out);
            if (frame(c, c->line.data + split, c->line.len - split))
                return -1;
            return tdm_sim_conn_send(c, c->out.data, c->out.len, g->produced, due);
        }
    }
    return send_line(c, g->produced, due, false);
}

void tdm_sim_job_due(void *ctx, tdm_sim_job *job, int64_t due)
{
    tdm_sim_conn *c = ctx;
    tdm_sim_gen *g = &c->gen;
    tdm_sim_dev *dev = &c->port->dev->dev;
    (void)job;
    switch (g->phase) {
    case GEN_LOAD:
        g->t_load_end = due;
        if (g->rq.empty) {
            int r = load_line(c, "load");
            gen_release(c, due);
            if (r)
                c->ops->close(c);
            else /* Ollama answers with c.JSON: one object, never NDJSON */
                respond_whole(c, due, 200, "load");
            return;
        }
        if (tdm_sim_slots_acquire(&c->port->slots, &g->wait, due)) {
            slot_begin(c, due);
            return;
        }
        g->phase = GEN_QUEUED; /* off the device until a slot is handed over */
        tdm_sim_emitlog_queued(&c->srv->log, c->port->port, c->id, c->nreq, tdm_now_ns(), due,
                               c->port->slots.waiting - 1);
        tdm_sim_dev_remove(dev, &c->job, due);
        return;
    case GEN_PREFILL:
        g->t_prefill_end = due;
        g->phase = GEN_DECODE;
        if (check_faults(c, due))
            return;
        tdm_sim_dev_start(dev, &c->job, due, g->token_work);
        return;
    case GEN_DECODE:
        if (emit_token(c, due) != 0) {
            if (g->phase != GEN_IDLE) { /* a closed connection already released it */
                log_end(c, 0, "write-failed");
                gen_release(c, due);
            }
            c->ops->close(c);
            return;
        }
        g->produced++;
        g->t_last_token = due;
        if (g->produced >= g->n_target) {
            finish(c, due);
            return;
        }
        if (check_faults(c, due))
            return;
        tdm_sim_dev_start(dev, &c->job, due, g->token_work);
        return;
    default:
        return;
    }
}

static uint64_t seed_for(const tdm_sim_conn *c, const tdm_sim_model *m, uint64_t n)
{
    const tdm_sim_genreq *rq = &c->gen.rq;
    uint64_t s = tdm_sim_mix64(c->srv->cfg->seed ^ 0x5eed);
    s = tdm_sim_hash64(m->name, strlen(m->name), s ^ rq->prompt_hash);
    /* options.seed makes a request reproducible on its own, as in Ollama; otherwise the
     * n-th request on a port gets the n-th draw. */
    return tdm_sim_mix64(s ^ (rq->has_seed ? tdm_sim_mix64((uint64_t)rq->seed) : n + 1) ^
                         (rq->has_seed ? 0x5eedULL : 0));
}

/* Answers the request with its API's error body and no stream. */
static void respond_error(tdm_sim_conn *c, int64_t t, int status, const char *msg,
                          const char *reason)
{
    tdm_sim_genreq_free(&c->gen.rq);
    tdm_buf_reset(&c->line);
    tdm_sim_genwire_error(&c->line, c->gen.rq.api, msg);
    respond_whole(c, t, status, reason);
}

/* Reads the body for its API. Returns 0, or -1 after answering the 400. */
static int parse(tdm_sim_conn *c, int64_t t, int api, const char *body, size_t len)
{
    char err[512];
    tdm_sim_genreq *rq = &c->gen.rq;
    if (api != TDM_SIM_API_OPENAI) {
        if (tdm_sim_genreq_parse(body, len, api == TDM_SIM_API_CHAT, rq, err, sizeof err) == 0)
            return 0;
        respond_error(c, t, 400, err, "bad-request");
        return -1;
    }
    int r = tdm_sim_oai_parse(body, len, rq, err, sizeof err);
    if (r == TDM_SIM_OAI_OK)
        return 0;
    if (r == TDM_SIM_OAI_HANDLER_ERROR) {
        respond_error(c, t, 400, err, "bad-request");
        return -1;
    }
    /* ChatMiddleware's own refusal: gin's AbortWithStatusJSON (its content type, no
     * newline), before the handler and its writeError ever see the request. */
    tdm_buf_reset(&c->line);
    tdm_sim_oai_error(&c->line, "invalid_request_error", err);
    c->ops->respond(c, t, 400, tdm_sim_genwire_json_type(TDM_SIM_API_CHAT),
                    tdm_buf_str(&c->line), c->line.len, 0, "bad-request");
    return -1;
}

void tdm_sim_gen_dispatch(tdm_sim_conn *c, int64_t t, int api, const char *body, size_t len)
{
    tdm_sim_server *s = c->srv;
    tdm_sim_gen *g = &c->gen;
    char err[512];
    *g = (tdm_sim_gen){0};
    tdm_sim_slot_wait_init(&g->wait, c);
    if (parse(c, t, api, body, len) != 0)
        return;
    bool chat = g->rq.chat;
    /* Ollama 0.11.4's order: the model must exist (generate: 404 "model 'x' not found",
     * also for a missing or invalid name; chat: 404 from its scheduler, worded
     * differently), then the options are checked (a wrong type is a 500). */
    int mi = tdm_sim_model_find(s->models, s->nmodels, g->rq.model);
    const tdm_sim_faults *f = faults(c);
    if (mi < 0 || f->not_found) {
        if (chat)
            snprintf(err, sizeof err, "model \"%.400s\" not found, try pulling it first", g->rq.model);
        else
            snprintf(err, sizeof err, "model '%.400s' not found", g->rq.model);
        respond_error(c, t, 404, err, "not-found");
        return;
    }
    if (f->server_error) {
        respond_error(c, t, 500, "simulated server error", "server-error");
        return;
    }
    if (g->rq.opt_error) {
        snprintf(err, sizeof err, "%s", g->rq.opt_error);
        respond_error(c, t, 500, err, "bad-option");
        return;
    }
    const tdm_sim_config *cfg = s->cfg;
    tdm_sim_port *p = c->port;
    g->model = mi;
    /* A request without keep_alive keeps the one the loaded model already has (Ollama
     * 0.11.4 keeps a runner's session duration until a request names another); a model
     * that is not loaded gets the server's default. */
    tdm_sim_loaded *lm = &p->loaded[mi];
    g->keep_alive_ns = g->rq.has_keep_alive      ? g->rq.keep_alive_ns
                       : tdm_sim_loaded_resident(lm, t) ? lm->keep_alive_ns
                                                        : cfg->keep_alive_ns;
    if (g->rq.empty && g->keep_alive_ns == 0) {
        tdm_sim_loaded_unload(&p->loaded[mi], t);
        int r = load_line(c, "unload");
        tdm_sim_genreq_free(&g->rq);
        if (r)
            c->ops->close(c);
        else
            respond_whole(c, t, 200, "unload");
        return;
    }
    tdm_sim_dev_sync(p->dev, t); /* everything due before this arrival happens first */
    if (t < p->dev->dev.t_last)
        t = p->dev->dev.t_last;
    uint64_t seed = seed_for(c, &s->models[mi], p->gen_requests++);
    g->oai_id = (int)(seed % 999); /* Ollama: rand.Intn(999) */
    tdm_sim_rng rng;
    tdm_sim_rng_seed(&rng, seed);
    if (g->rq.num_predict > 0) {
        g->n_target = g->rq.num_predict < cfg->max_tokens ? g->rq.num_predict : cfg->max_tokens;
        g->done_reason = "length";
    } else {
        g->n_target = tdm_sim_draw_length(&rng, cfg->tokens_mean, cfg->tokens_sd, cfg->max_tokens);
        g->done_reason = "stop";
    }
    tdm_sim_textgen_init(&g->text, tdm_sim_rng_next(&rng), cfg->utf8, f->utf8_split);
    g->prefill_work = (double)g->rq.prompt_tokens * 1e9 / cfg->prefill_tps;
    g->token_work = 1e9 / cfg->decode_tps;
    g->t_arrival = t;
    /* Ready once loaded, plus the scheduler's own time (Ollama reports both as
     * load_duration, which is therefore never zero and never omitted). */
    int64_t ready = tdm_sim_loaded_acquire(&p->loaded[mi], t, (int64_t)(cfg->load_ms * 1e6),
                                           g->keep_alive_ns) +
                    (int64_t)(cfg->sched_ms * 1e6);
    s->active_gens++;
    g->phase = GEN_LOAD;
    /* The load (even a zero-length one) is a timed event, so a warm request and a cold
     * one take the same path and the answer never starts inside the read callback. */
    tdm_sim_dev_wait(&p->dev->dev, &c->job, t, ready);
    tdm_sim_dev_touch(p->dev);
}
