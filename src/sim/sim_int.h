/* sim_int.h — the runtime state shared by server.c (ports, devices, signals), conn.c
 * (HTTP connections, routing), gen.c (generation streams), cork.c (a connection's output
 * path) and devrun.c (device runs). Not a public API.
 *
 * Calls go one way: server.c -> conn.c -> gen.c -> devrun.c -> cork.c. Where a lower file
 * must act on the connection (a write broke, a stream finished), it goes through the
 * connection's operations (tdm_sim_conn_ops), which conn.c gives each connection. */
#ifndef TDM_SIM_INT_H
#define TDM_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/buf.h"
#include "sim/config.h"
#include "sim/device.h"
#include "sim/emitlog.h"
#include "sim/http.h"
#include "sim/models.h"
#include "sim/request.h"
#include "sim/slots.h"
#include "sim/timer.h"
#include "sim/tokens.h"

#define TDM_SIM_MAX_HEAD TDM_SIM_HTTP_GO_MAX_HEAD

typedef struct tdm_sim_server tdm_sim_server;

typedef struct tdm_sim_devrt {
    char name[TDM_SIM_NAME_MAX];
    tdm_sim_dev dev;
    tdm_sim_timer timer;
    bool timer_open;
    bool in_run;          /* inside tdm_sim_dev_run: callbacks must not run it again */
    tdm_sim_server *srv;
} tdm_sim_devrt;

typedef struct tdm_sim_port {
    uv_tcp_t tcp;
    bool tcp_open;
    int port;             /* the real port number */
    const tdm_sim_port_cfg *cfg;
    tdm_sim_devrt *dev;
    tdm_sim_loaded loaded[TDM_SIM_MAX_MODELS]; /* residency of each served model */
    uint64_t gen_requests;/* generate/chat requests so far: seeds unseeded draws */
    tdm_sim_slots slots;  /* OLLAMA_NUM_PARALLEL: streams running at once, and the queue */
    tdm_sim_server *srv;
} tdm_sim_port;

/* One generate/chat/openai request in progress on a connection. */
/* GEN_QUEUED: loaded and scheduled, waiting for one of its port's slots (off the device). */
enum { GEN_IDLE = 0, GEN_LOAD, GEN_QUEUED, GEN_PREFILL, GEN_DECODE };
typedef struct tdm_sim_gen {
    int phase;
    tdm_sim_genreq rq;
    int model;                /* index into the served models */
    int64_t keep_alive_ns;
    int64_t t_arrival, t_load_end, t_slot, t_prefill_end, t_last_token;
    tdm_sim_slot_wait wait;   /* its place in the port's queue */
    bool has_slot;            /* holds one of the port's slots (prefill, decode) */
    int64_t n_target;         /* tokens to produce */
    int64_t produced;
    const char *done_reason;  /* "stop" or "length" */
    double prefill_work, token_work; /* full-rate ns */
    tdm_sim_textgen text;
    tdm_buf whole;            /* "stream": false: the text so far */
    bool headers_sent;
    bool malformed_sent;
    int oai_id;               /* /v1: the N of "chatcmpl-N" */
} tdm_sim_gen;

enum { C_READ = 0, C_DELAY, C_BUSY, C_STALLED, C_LINGER, C_CLOSING };

/* A token line held in a connection's cork buffer, ending at byte `end` of it. */
typedef struct tdm_sim_corked {
    int64_t token, due;
    uint64_t req;
    size_t end;
} tdm_sim_corked;

typedef struct tdm_sim_conn tdm_sim_conn;

/* What the files below conn.c may ask of a connection they were handed. */
typedef struct tdm_sim_conn_ops {
    /* Closes at once (abrupt: pending writes are dropped). Safe to call twice. */
    void (*close)(tdm_sim_conn *c);
    /* Answers with a complete response (head + body in one write) and finishes the
     * request; tokens and reason go into the emission log's end line. */
    void (*respond)(tdm_sim_conn *c, int64_t t, int status, const char *ctype,
                    const char *body, size_t len, int64_t tokens, const char *reason);
    /* The current request is over at model time t: next pipelined request, or close. */
    void (*done)(tdm_sim_conn *c, int64_t t);
} tdm_sim_conn_ops;

struct tdm_sim_conn {
    const tdm_sim_conn_ops *ops;
    uv_tcp_t tcp;
    uv_timer_t timer;         /* slow-headers delay; lingering close */
    uv_shutdown_t shut;
    int handles;              /* open libuv handles; freed when none is left */
    tdm_sim_port *port;
    tdm_sim_server *srv;
    struct tdm_sim_conn *prev, *next;
    uint64_t id;              /* from 1, per process */
    uint64_t nreq;            /* requests so far on this connection */
    int state;
    tdm_buf in;               /* received, not yet consumed */
    size_t scanned;           /* head-parser resume point */
    bool continue_sent;
    bool reading;             /* uv_read_start is in effect */
    bool in_process;          /* conn_process is on the stack */
    bool close_after;         /* answer, then close (Connection: close, HTTP/1.0, errors) */
    bool chunked;             /* the current response may use chunked framing */
    tdm_sim_http_req req;     /* the request being answered */
    tdm_buf delayed_body;     /* its body, kept while slow-headers holds it */
    size_t queued;            /* bytes in libuv's write queue */
    tdm_sim_job job;          /* the stream's place on its device */
    tdm_sim_gen gen;
    tdm_buf out;              /* scratch: bytes of one write */
    tdm_buf line;             /* scratch: one JSON line */
    /* Token lines held back until the device run that made them ends (cork.c). */
    tdm_buf cork;
    tdm_sim_corked *corked;
    size_t n_corked, cap_corked;
    uint64_t wrote_in_run;    /* the server's run_seq when a token last went out at once */
    bool cork_listed;
    struct tdm_sim_conn *cork_next;
};

struct tdm_sim_server {
    uv_loop_t loop;
    const tdm_sim_config *cfg;
    tdm_sim_model models[TDM_SIM_MAX_MODELS];
    size_t nmodels;
    tdm_sim_port ports[TDM_SIM_MAX_PORTS];
    size_t nports;
    tdm_sim_devrt devs[TDM_SIM_MAX_PORTS];
    size_t ndevs;
    uv_signal_t sigint, sigterm;
    bool signals_open;
    uv_timer_t flush_timer;
    bool flush_open;
    tdm_sim_emitlog log;
    tdm_sim_conn *conns;
    uint64_t next_conn_id;
    int active_gens;          /* streams in load, prefill or decode */
    bool loopback;            /* listening on a loopback address: Host headers are checked */
    char hostname[256];       /* this machine's name, an allowed Host */
    bool stopping;
    int run_depth;            /* device runs in progress (they may nest) */
    uint64_t run_seq;         /* counts outermost device runs */
    tdm_sim_conn *cork_list;  /* connections holding corked tokens */
    char readbuf[64 * 1024];  /* every read lands here and is copied at once */
};

/* conn.c */
void tdm_sim_conn_accept(tdm_sim_port *p);
/* Closes at once (abrupt: pending writes are dropped). Safe to call twice. */
void tdm_sim_conn_close(tdm_sim_conn *c);

/* gen.c */
/* A generation request (api: TDM_SIM_API_*) arrives at model time t. */
void tdm_sim_gen_dispatch(tdm_sim_conn *c, int64_t t, int api, const char *body, size_t len);
/* The client went away or the server stops: take the stream off its device. */
void tdm_sim_gen_abort(tdm_sim_conn *c, int64_t t, const char *reason);
void tdm_sim_job_due(void *ctx, tdm_sim_job *job, int64_t due);

/* devrun.c */
/* Processes the device's due events up to t (unless already inside its run). */
void tdm_sim_dev_sync(tdm_sim_devrt *d, int64_t t);
/* Re-arms the device's timer for its next deadline (unless inside its run). */
void tdm_sim_dev_touch(tdm_sim_devrt *d);

/* cork.c */
/* Hands bytes to the socket; token >= 0 logs that token when they reach the kernel.
 * Returns 0, or -1 when the connection is broken (it is then being closed). */
int tdm_sim_conn_send(tdm_sim_conn *c, const char *data, size_t len, int64_t token,
                      int64_t due);
/* Around every device run: tokens that one run makes for one stream after its first go
 * out in one write when the outermost run ends. */
void tdm_sim_run_begin(tdm_sim_server *s);
void tdm_sim_run_end(tdm_sim_server *s);
/* Writes what c holds back, before anything else goes out on it. -1: connection broke. */
int tdm_sim_cork_flush(tdm_sim_conn *c);
/* Forgets what c holds back (it is closing) and frees the buffers. */
void tdm_sim_cork_free(tdm_sim_conn *c);

#endif
