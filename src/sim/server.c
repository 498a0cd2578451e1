/* server.c — tandem-sim's process: binds the ports, runs each device's deadline timer,
 * writes the ready file, flushes the emission log at quiet moments and shuts everything
 * down cleanly on SIGINT/SIGTERM. */
#include "sim/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "core/clock.h"
#include "sim/sim_int.h"

/* The emission log is written out only when no token is due within this margin. */
#define FLUSH_PERIOD_MS 100
#define FLUSH_QUIET_NS (3 * 1000000LL)
/* Past this size it is written out regardless, to bound memory. */
#define FLUSH_FORCE_BYTES (32u * 1024u * 1024u)

static void on_dev_timer(tdm_sim_timer *t)
{
    tdm_sim_devrt *d = t->data;
    tdm_sim_dev_sync(d, tdm_now_ns());
}

static int64_t next_due_any(const tdm_sim_server *s)
{
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < s->ndevs; i++) {
        int64_t d = tdm_sim_dev_next_due(&s->devs[i].dev);
        if (d < due)
            due = d;
    }
    return due;
}

static void on_flush_timer(uv_timer_t *h)
{
    tdm_sim_server *s = h->data;
    size_t pending = tdm_sim_emitlog_pending(&s->log);
    if (pending == 0)
        return;
    if (pending < FLUSH_FORCE_BYTES && next_due_any(s) - tdm_now_ns() < FLUSH_QUIET_NS)
        return; /* a token is about to be due: writing now could delay it */
    if (tdm_sim_emitlog_flush(&s->log) != 0)
        fprintf(stderr, "tandem-sim: writing the emission log failed (%s); logging stops\n",
                strerror(errno));
}

static void on_connection(uv_stream_t *server, int status)
{
    tdm_sim_port *p = server->data;
    if (status < 0 || p->srv->stopping)
        return;
    tdm_sim_conn_accept(p);
}

static void close_all(tdm_sim_server *s)
{
    for (tdm_sim_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        tdm_sim_conn_close(c);
    }
    for (size_t i = 0; i < s->nports; i++)
        if (s->ports[i].tcp_open) {
            s->ports[i].tcp_open = false;
            uv_close((uv_handle_t *)&s->ports[i].tcp, NULL);
        }
    for (size_t i = 0; i < s->ndevs; i++)
        if (s->devs[i].timer_open) {
            s->devs[i].timer_open = false;
            tdm_sim_timer_close(&s->devs[i].timer, NULL);
        }
    if (s->signals_open) {
        s->signals_open = false;
        uv_close((uv_handle_t *)&s->sigint, NULL);
        uv_close((uv_handle_t *)&s->sigterm, NULL);
    }
    if (s->flush_open) {
        s->flush_open = false;
        uv_close((uv_handle_t *)&s->flush_timer, NULL);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    tdm_sim_server *s = h->data;
    (void)signum;
    if (s->stopping)
        return;
    s->stopping = true;
    close_all(s);
}

static tdm_sim_devrt *device_for(tdm_sim_server *s, const char *name)
{
    for (size_t i = 0; i < s->ndevs; i++)
        if (!strcmp(s->devs[i].name, name))
            return &s->devs[i];
    tdm_sim_devrt *d = &s->devs[s->ndevs];
    if (tdm_sim_timer_init(&s->loop, &d->timer, on_dev_timer) != 0)
        return NULL;
    s->ndevs++;
    snprintf(d->name, sizeof d->name, "%s", name);
    d->srv = s;
    d->timer.data = d;
    d->timer_open = true;
    tdm_sim_dev_init(&d->dev, s->cfg->alpha, tdm_now_ns());
    return d;
}

static int bind_port(tdm_sim_server *s, tdm_sim_port *p)
{
    const tdm_sim_config *cfg = s->cfg;
    struct sockaddr_storage addr;
    int r;
    if (strchr(cfg->host, ':'))
        r = uv_ip6_addr(cfg->host, p->cfg->port, (struct sockaddr_in6 *)&addr);
    else
        r = uv_ip4_addr(strcmp(cfg->host, "localhost") ? cfg->host : "127.0.0.1",
                        p->cfg->port, (struct sockaddr_in *)&addr);
    if (r != 0) {
        fprintf(stderr, "tandem-sim: --host '%s' is not an IP address; give e.g. 127.0.0.1 or ::1\n",
                cfg->host);
        return -1;
    }
    if ((r = uv_tcp_init(&s->loop, &p->tcp)) != 0)
        goto fail;
    p->tcp_open = true;
    p->tcp.data = p;
    if ((r = uv_tcp_bind(&p->tcp, (const struct sockaddr *)&addr, 0)) != 0)
        goto fail;
    /* The refuse fault binds (so the port is reserved and known) but never listens:
     * the kernel then answers every connection attempt with a reset. */
    if (!p->cfg->faults.refuse && (r = uv_listen((uv_stream_t *)&p->tcp, 511, on_connection)) != 0)
        goto fail;
    struct sockaddr_storage got;
    int len = sizeof got;
    if ((r = uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&got, &len)) != 0)
        goto fail;
    p->port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&got)->sin_port);
    return 0;
fail:
    bool v6 = strchr(cfg->host, ':') != NULL;
    fprintf(stderr, "tandem-sim: cannot listen on %s%s%s:%d: %s; choose another --port (0 "
            "lets the OS pick) or stop what uses it\n", v6 ? "[" : "", cfg->host, v6 ? "]" : "",
            p->cfg->port, uv_strerror(r));
    return -1;
}

static int write_ready_file(const tdm_sim_server *s, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        goto fail;
    for (size_t i = 0; i < s->nports; i++)
        fprintf(f, "%d %s\n", s->ports[i].port, s->ports[i].dev->name);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "tandem-sim: --ready-file %s: %s; give a writable path\n", path,
            strerror(errno));
    return -1;
}

/* Whether Ollama would see its listener as loopback (netip.Addr.IsLoopback). */
static bool host_is_loopback(const char *host)
{
    unsigned char a[16];
    if (!strcmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
    }
    return false;
}

static int setup(tdm_sim_server *s)
{
    const tdm_sim_config *cfg = s->cfg;
    s->loopback = host_is_loopback(cfg->host);
    if (gethostname(s->hostname, sizeof s->hostname) != 0)
        s->hostname[0] = '\0';
    s->hostname[sizeof s->hostname - 1] = '\0';
    for (size_t i = 0; i < cfg->nmodels; i++) {
        if (tdm_sim_model_init(&s->models[s->nmodels], cfg->models[i]) != 0) {
            fprintf(stderr, "tandem-sim: --model '%s' is not a usable name\n", cfg->models[i]);
            return -1;
        }
        if (tdm_sim_model_find(s->models, s->nmodels, s->models[s->nmodels].name) < 0)
            s->nmodels++; /* a name given twice is served once */
    }
    for (size_t i = 0; i < cfg->nports; i++) {
        tdm_sim_port *p = &s->ports[i];
        p->srv = s;
        p->cfg = &cfg->ports[i];
        if (!(p->dev = device_for(s, p->cfg->device))) {
            fprintf(stderr, "tandem-sim: cannot create a timer for device %s\n", p->cfg->device);
            return -1;
        }
        tdm_sim_slots_init(&p->slots, p->cfg->num_parallel);
        s->nports++;
        if (bind_port(s, p) != 0)
            return -1;
    }
    if (cfg->emit_log && tdm_sim_emitlog_open(&s->log, cfg->emit_log) != 0) {
        fprintf(stderr, "tandem-sim: --emit-log %s: %s; give a writable path\n", cfg->emit_log,
                strerror(errno));
        return -1;
    }
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    s->signals_open = true;
    s->sigint.data = s->sigterm.data = s;
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_timer_init(&s->loop, &s->flush_timer);
    s->flush_open = true;
    s->flush_timer.data = s;
    uv_timer_start(&s->flush_timer, on_flush_timer, FLUSH_PERIOD_MS, FLUSH_PERIOD_MS);
    for (size_t i = 0; i < s->nports; i++) {
        char slots[32] = "";
        if (s->ports[i].slots.limit > 0)
            snprintf(slots, sizeof slots, ", %d slot%s", s->ports[i].slots.limit,
                     s->ports[i].slots.limit == 1 ? "" : "s");
        fprintf(stderr, "tandem-sim: listening on http://%s%s%s:%d (device %s%s)%s\n",
                strchr(cfg->host, ':') ? "[" : "", cfg->host, strchr(cfg->host, ':') ? "]" : "",
                s->ports[i].port, s->ports[i].dev->name, slots,
                s->ports[i].cfg->faults.refuse ? " [fault: refuse, not accepting]" : "");
    }
    if (cfg->ready_file && write_ready_file(s, cfg->ready_file) != 0)
        return -1;
    return 0;
}

static void close_stray(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int tdm_sim_server_run(const tdm_sim_config *cfg)
{
    tdm_sim_server *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "tandem-sim: out of memory\n");
        return 1;
    }
    s->cfg = cfg;
    tdm_sim_emitlog_none(&s->log);
#ifdef __linux__
    /* The kernel may defer a timer wake-up by the process's timer slack (50 us by
     * default) to batch wake-ups; tokens are due at exact times, so ask for none. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    if (uv_loop_init(&s->loop) != 0) {
        fprintf(stderr, "tandem-sim: cannot create the event loop\n");
        free(s);
        return 1;
    }
    int rc = 0;
    if (setup(s) != 0) {
        rc = 1;
        s->stopping = true;
        close_all(s);
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s->loop) == UV_EBUSY) {
        /* Should not happen; close whatever is left rather than leak it. */
        uv_walk(&s->loop, close_stray, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&s->loop) != 0)
            fprintf(stderr, "tandem-sim: the event loop did not close cleanly\n");
    }
    tdm_sim_emitlog_close(&s->log);
    free(s);
    return rc;
}
