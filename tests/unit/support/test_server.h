/* test_server.h — test support shared by the driver tests: a small streaming NDJSON
 * server on 127.0.0.1:0 in threads of its own (streaming, bursting or stalling), and a
 * two-agent scenario with its jobs. Linked into every unit test; only tests use it. */
#ifndef TDM_TEST_SERVER_H
#define TDM_TEST_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "core/scenario.h"

enum { MODE_STREAM, MODE_BURST, MODE_STALL };

typedef struct server {
    int lfd;
    uint16_t port;
    int mode;
    int lines;          /* token lines per response */
    int pad;            /* extra bytes of text per token line */
    int delay_us;       /* between token lines (MODE_STREAM) */
    atomic_bool stop;
    atomic_int requests;
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_t conns[32];
    int n_conns;
} server;

/* A listening socket on 127.0.0.1 with an OS-picked port (stored in *port). */
int bind_local(uint16_t *port);

void server_start(server *s, int mode, int lines, int pad, int delay_us);
void server_stop(server *s);

typedef struct fixture {
    tdm_scenario s;
    tdm_agent_job jobs[2];
    size_t n_jobs;
} fixture;

/* Two agents of two steps each, on ports pa and pb. */
void fixture_init(fixture *f, uint16_t pa, uint16_t pb, size_t n_agents);
void fixture_free(fixture *f);
/* Resets the jobs for another phase over the same connections. */
void fixture_rearm(fixture *f);

#endif
