/* config.h — tandem-sim's settings and their command line. Parsing is kept apart from
 * main() so every flag and every error message is unit-tested. */
#ifndef TDM_SIM_CONFIG_H
#define TDM_SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TDM_SIM_NAME_MAX 64
#define TDM_SIM_MAX_PORTS 64
#define TDM_SIM_MAX_MODELS 64
#define TDM_SIM_MAX_PARALLEL 65536

/* Faults injected on one port (see --help). -1 / 0 mean "off". */
typedef struct tdm_sim_faults {
    bool refuse;            /* bind but never listen: connections are refused */
    bool not_found;         /* every generate/chat answers 404 model not found */
    bool server_error;      /* every generate/chat answers 500 before streaming */
    bool utf8_split;        /* multi-byte characters split across two chunks */
    bool drop_reused;       /* a request on a kept-alive connection is met by a close, unanswered */
    int64_t error_line;     /* after N tokens an {"error"} line, then a proper end */
    int64_t error_event;    /* the same, but /v1 streams get a `data: {"error":...}` event */
    int64_t disconnect;     /* after N tokens the socket is closed */
    int64_t stall;          /* after N tokens nothing more is sent */
    int64_t malformed;      /* after N tokens one line that is not JSON */
    int64_t oversized;      /* bytes of one oversized token line (0: off) */
    int64_t slow_headers_ms;/* hold each response this long before starting it */
} tdm_sim_faults;

typedef struct tdm_sim_port_cfg {
    int port;                         /* 0: the OS picks */
    char device[TDM_SIM_NAME_MAX];    /* ports naming the same device share it */
    int num_parallel;                 /* request slots (OLLAMA_NUM_PARALLEL); 0: no limit */
    tdm_sim_faults faults;
} tdm_sim_port_cfg;

typedef struct tdm_sim_config {
    char host[64];
    tdm_sim_port_cfg ports[TDM_SIM_MAX_PORTS];
    size_t nports;
    char models[TDM_SIM_MAX_MODELS][128];
    size_t nmodels;
    double decode_tps;      /* tokens/s of one stream alone on a device */
    double prefill_tps;     /* prompt tokens/s of one stream alone on a device */
    double alpha;           /* contention: rate/(1 + alpha*(k-1)) with k streams */
    int num_parallel;       /* slots of a port that names none; 0: no limit (default) */
    double load_ms;         /* cold load time */
    double sched_ms;        /* Ollama's scheduling time per request, part of load_duration */
    int64_t keep_alive_ns;  /* default keep_alive (Ollama: 5m) */
    double tokens_mean;     /* output length when num_predict is not given */
    double tokens_sd;
    int64_t max_tokens;     /* upper bound on any output length */
    uint64_t seed;
    bool utf8;
    char version[64];       /* what /api/version reports */
    const char *emit_log;   /* points into argv */
    const char *ready_file; /* points into argv */
    size_t max_body;        /* request bodies above this get 413 */
    double vram_pct;        /* share of a loaded model /api/ps reports in VRAM (size_vram) */
} tdm_sim_config;

enum { TDM_SIM_CLI_RUN = 0, TDM_SIM_CLI_EXIT = 1, TDM_SIM_CLI_ERROR = -1 };

void tdm_sim_config_defaults(tdm_sim_config *c);
/* Parses argv into c (after defaults). Returns TDM_SIM_CLI_RUN, TDM_SIM_CLI_EXIT after
 * --help/--version were printed to out, or TDM_SIM_CLI_ERROR with a message in err that
 * names the flag and the fix. */
int tdm_sim_config_parse(tdm_sim_config *c, int argc, char **argv, FILE *out, char *err,
                         size_t errlen);
void tdm_sim_print_help(FILE *out);
/* A fault spec "MODE[:ARG]" applied to f; -1 with err on a bad spec. */
int tdm_sim_fault_parse(const char *spec, tdm_sim_faults *f, char *err, size_t errlen);

#endif
