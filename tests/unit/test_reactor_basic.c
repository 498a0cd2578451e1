/* test_reactor_basic.c — the reactor's contract: timers fire in deadline order (ties
 * first-in first-out), a timer cancelled by another's callback never fires, repeating
 * timers, fd readiness and interest changes on socketpairs, stale events after a removal
 * are dropped, stop, and run returning once nothing is left (which is also how every test
 * proves it leaked no registration). Runs under valgrind with leaks as errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "reactor/reactor.h"

#define MS 1000000LL

typedef struct log {
    int order[64];
    int64_t at[64];
    int n;
} log_t;

typedef struct tctx {
    log_t *log;
    int id;
    int64_t due;
    tdm_reactor_timer *victim; /* stopped when this one fires */
} tctx;

static void record(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)t;
    tctx *c = ud;
    assert_true(c->log->n < 64);
    c->log->at[c->log->n] = tdm_now_ns();
    c->log->order[c->log->n++] = c->id;
    if (c->victim)
        tdm_reactor_timer_stop(r, c->victim);
}

static void test_empty_run_returns(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    assert_non_null(r);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(tdm_reactor_run_once(r, true), 0);
    assert_int_equal(tdm_reactor_wakeups(r), 0);
    tdm_reactor_destroy(r);
    tdm_reactor_destroy(NULL);
}

static void test_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    log_t log = {0};
    tdm_reactor_timer t[6];
    memset(t, 0, sizeof t);
    int64_t delays[6] = {30 * MS, 10 * MS, 20 * MS, 10 * MS, 0, -5};
    tctx c[6];
    int64_t start = tdm_now_ns();
    for (int i = 0; i < 6; i++) {
        c[i] = (tctx){.log = &log, .id = i, .due = start + (delays[i] > 0 ? delays[i] : 0)};
        assert_int_equal(tdm_reactor_timer_start(r, &t[i], delays[i], 0, record, &c[i]), 0);
        assert_true(tdm_reactor_timer_active(&t[i]));
    }
    assert_int_equal(tdm_reactor_timer_count(r), 6);
    assert_int_equal(tdm_reactor_run(r), 0);
    int want[6] = {4, 5, 1, 3, 2, 0}; /* deadline order, ties in start order */
    assert_int_equal(log.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(log.order[i], want[i]);
        assert_true(log.at[i] >= c[want[i]].due); /* never early */
        assert_false(tdm_reactor_timer_active(&t[i]));
    }
    assert_true(tdm_reactor_get_stats(r)->timer_fires == 6);
    assert_true(tdm_reactor_wakeups(r) >= 1);
    assert_true(tdm_reactor_get_stats(r)->timerfd_sets >= 1);
    tdm_reactor_destroy(r);
}

/* Both due in the same round: the first cancels the second, which must never fire.
 * A third is cancelled by the first before its (later) deadline. */
static void test_cancel_from_callback(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    log_t log = {0};
    tdm_reactor_timer a = {0}, b = {0}, c = {0}, d = {0};
    tctx cb = {.log = &log, .id = 2};
    tctx cc = {.log = &log, .id = 3};
    tctx cd = {.log = &log, .id = 4};
    tctx ca = {.log = &log, .id = 1, .victim = &b};
    tdm_reactor_timer_start(r, &a, 2 * MS, 0, record, &ca);
    tdm_reactor_timer_start(r, &b, 2 * MS, 0, record, &cb);
    tdm_reactor_timer_start(r, &c, 50 * MS, 0, record, &cc);
    tdm_reactor_timer_start(r, &d, 1 * MS, 0, record, &cd);
    cd.victim = &c; /* d (1 ms) cancels c (50 ms) */
    /* Not a readiness wait: it makes d, a and b all due in the first round, the case
     * where a cancelled timer is already past its deadline. */
    tdm_sleep_ns(3 * MS);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.order[0], 4);
    assert_int_equal(log.order[1], 1);
    assert_false(tdm_reactor_timer_active(&b));
    assert_false(tdm_reactor_timer_active(&c));
    /* stopping an inactive timer is harmless */
    tdm_reactor_timer_stop(r, &b);
    tdm_reactor_timer_stop(r, &c);
    tdm_reactor_destroy(r);
}

typedef struct rep {
    int fires;
    int stop_at;
    tdm_reactor_timer *other;
} rep;

static void repeat_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    rep *p = ud;
    if (++p->fires == p->stop_at)
        tdm_reactor_timer_stop(r, t);
}

static void test_repeating_timer(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_reactor_timer t = {0};
    rep p = {.stop_at = 5};
    int64_t start = tdm_now_ns();
    assert_int_equal(tdm_reactor_timer_start(r, &t, 1 * MS, 2 * MS, repeat_cb, &p), 0);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(p.fires, 5);
    assert_true(tdm_now_ns() - start >= 9 * MS); /* 1 + 4 * 2 ms */
    tdm_reactor_destroy(r);
}

/* Restarting a timer from its own callback, and restarting an active one, reschedules. */
static void restart_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    rep *p = ud;
    if (++p->fires < 3)
        tdm_reactor_timer_start(r, t, 1 * MS, 0, restart_cb, ud);
}

static void test_restart(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_reactor_timer t = {0};
    rep p = {0};
    tdm_reactor_timer_start(r, &t, 500 * MS, 0, restart_cb, &p);
    tdm_reactor_timer_start(r, &t, 1 * MS, 0, restart_cb, &p); /* replaces the 500 ms one */
    assert_int_equal(tdm_reactor_timer_count(r), 1);
    int64_t start = tdm_now_ns();
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(p.fires, 3);
    assert_true(tdm_now_ns() - start < 400 * MS);
    tdm_reactor_destroy(r);
}

/* ---- fds ------------------------------------------------------------------------------- */

typedef struct fdctx {
    int fd;
    int calls;
    unsigned events[16];
    char got[64];
    size_t got_len;
    bool remove_on_read;
    int peer;
} fdctx;

static void on_fd(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    fdctx *c = ud;
    assert_int_equal(fd, c->fd);
    if (c->calls < 16)
        c->events[c->calls] = events;
    c->calls++;
    if (events & TDM_REACTOR_READ) {
        ssize_t n = read(fd, c->got + c->got_len, sizeof c->got - c->got_len);
        if (n > 0)
            c->got_len += (size_t)n;
        if (c->remove_on_read)
            assert_int_equal(tdm_reactor_remove_fd(r, fd), 0);
    }
}

static void test_fd_readiness(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fdctx c = {.fd = sv[0], .remove_on_read = true};
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, on_fd, &c), 0);
    assert_true(tdm_reactor_has_fd(r, sv[0]));
    assert_int_equal(tdm_reactor_fd_count(r), 1);
    /* not readable yet: a non-blocking round dispatches nothing */
    assert_int_equal(tdm_reactor_run_once(r, false), 1);
    assert_int_equal(c.calls, 0);
    assert_int_equal(write(sv[1], "ping", 4), 4);
    assert_int_equal(tdm_reactor_run(r), 0); /* returns once the callback removed the fd */
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.events[0], TDM_REACTOR_READ);
    assert_int_equal(c.got_len, 4);
    assert_memory_equal(c.got, "ping", 4);
    assert_false(tdm_reactor_has_fd(r, sv[0]));
    const tdm_reactor_stats *st = tdm_reactor_get_stats(r);
    assert_int_equal(st->fd_events, 1);
    assert_true(st->wakeups >= 2);
    assert_int_equal(st->epoll_ctls, 2); /* ADD, DEL */
    close(sv[0]);
    close(sv[1]);
    tdm_reactor_destroy(r);
}

/* WRITE is ready at once; the callback switches interest to READ (EPOLL_CTL_MOD) and a
 * timer later writes from the peer; then interest 0 silences the fd entirely. */
typedef struct modctx {
    fdctx f;
    int write_events;
    int read_events;
    tdm_reactor_timer poke, finish;
} modctx;

static void finish_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)t;
    modctx *m = ud;
    assert_int_equal(tdm_reactor_remove_fd(r, m->f.fd), 0);
}

static void mod_fd(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    modctx *m = ud;
    if (events & TDM_REACTOR_WRITE) {
        m->write_events++;
        assert_int_equal(tdm_reactor_modify_fd(r, fd, TDM_REACTOR_READ), 0);
    }
    if (events & TDM_REACTOR_READ) {
        m->read_events++;
        char buf[16];
        assert_int_equal(read(fd, buf, sizeof buf), 3);
        /* stay registered but want nothing: the fd stays writable, yet must stay quiet */
        assert_int_equal(tdm_reactor_modify_fd(r, fd, 0), 0);
        tdm_reactor_timer_start(r, &m->finish, 5 * MS, 0, finish_cb, m);
    }
}

static void poke_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)r;
    (void)t;
    modctx *m = ud;
    assert_int_equal(write(m->f.peer, "abc", 3), 3);
}

static void test_modify_interest(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    modctx m;
    memset(&m, 0, sizeof m);
    m.f.fd = sv[0];
    m.f.peer = sv[1];
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_WRITE, mod_fd, &m), 0);
    tdm_reactor_timer_start(r, &m.poke, 3 * MS, 0, poke_cb, &m);
    uint64_t ctls = tdm_reactor_get_stats(r)->epoll_ctls;
    /* an unchanged interest costs no syscall */
    assert_int_equal(tdm_reactor_modify_fd(r, sv[0], TDM_REACTOR_WRITE), 0);
    assert_int_equal(tdm_reactor_get_stats(r)->epoll_ctls, ctls);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(m.write_events, 1);
    assert_int_equal(m.read_events, 1);
    close(sv[0]);
    close(sv[1]);
    tdm_reactor_destroy(r);
}

/* Two fds ready in the same batch: whichever runs first removes and closes the other and
 * registers a new socket that reuses its number. The stale event must reach nobody. */
typedef struct stalectx {
    int fds[2];
    int peers[2];
    int calls[2];
    int new_calls;
    int newsv[2];
} stalectx;

static void new_cb(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)r;
    (void)fd;
    (void)events;
    ((stalectx *)ud)->new_calls++;
}

static void stale_cb(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)events;
    stalectx *s = ud;
    int me = fd == s->fds[0] ? 0 : 1;
    s->calls[me]++;
    int other = s->fds[1 - me];
    assert_int_equal(tdm_reactor_remove_fd(r, other), 0);
    close(other);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s->newsv), 0);
    assert_int_equal(s->newsv[0], other); /* the lowest free number comes back */
    /* the new socket is not readable: only a stale event could call new_cb */
    assert_int_equal(tdm_reactor_add_fd(r, s->newsv[0], TDM_REACTOR_READ, new_cb, s), 0);
    assert_int_equal(tdm_reactor_remove_fd(r, fd), 0);
}

static void test_stale_events_dropped(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    stalectx s;
    memset(&s, 0, sizeof s);
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    s.fds[0] = a[0];
    s.fds[1] = b[0];
    assert_int_equal(tdm_reactor_add_fd(r, a[0], TDM_REACTOR_READ, stale_cb, &s), 0);
    assert_int_equal(tdm_reactor_add_fd(r, b[0], TDM_REACTOR_READ, stale_cb, &s), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    assert_int_equal(tdm_reactor_run_once(r, true), 1);
    assert_int_equal(s.calls[0] + s.calls[1], 1);
    assert_int_equal(s.new_calls, 0);
    /* another round: the new socket is still quiet */
    assert_int_equal(tdm_reactor_run_once(r, false), 1);
    assert_int_equal(s.new_calls, 0);
    assert_int_equal(tdm_reactor_remove_fd(r, s.newsv[0]), 0);
    assert_int_equal(tdm_reactor_fd_count(r), 0);
    close(s.newsv[0]);
    close(s.newsv[1]);
    close(s.calls[0] ? a[0] : b[0]);
    close(a[1]);
    close(b[1]);
    tdm_reactor_destroy(r);
}

/* A peer hang-up is reported as ERROR even with no interest, with READ when wanted. */
static void test_hangup(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fdctx c = {.fd = sv[0], .remove_on_read = false};
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], 0, on_fd, &c), 0);
    close(sv[1]);
    assert_int_equal(tdm_reactor_run_once(r, true), 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.events[0], TDM_REACTOR_ERROR);
    assert_int_equal(tdm_reactor_modify_fd(r, sv[0], TDM_REACTOR_READ), 0);
    assert_int_equal(tdm_reactor_run_once(r, true), 1);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.events[1], TDM_REACTOR_ERROR | TDM_REACTOR_READ);
    assert_int_equal(tdm_reactor_remove_fd(r, sv[0]), 0);
    close(sv[0]);
    tdm_reactor_destroy(r);
}

static void test_fd_errors(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fdctx c = {.fd = sv[0]};
    assert_int_equal(tdm_reactor_add_fd(r, -1, TDM_REACTOR_READ, on_fd, &c), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, NULL, &c), -1);
    assert_int_equal(tdm_reactor_modify_fd(r, sv[0], TDM_REACTOR_READ), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(tdm_reactor_remove_fd(r, sv[0]), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, on_fd, &c), 0);
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, on_fd, &c), -1);
    assert_int_equal(errno, EEXIST);
    /* watch = add or modify */
    assert_int_equal(tdm_reactor_watch_fd(r, sv[0], TDM_REACTOR_WRITE, on_fd, &c), 0);
    assert_int_equal(tdm_reactor_watch_fd(r, sv[1], TDM_REACTOR_READ, on_fd, &c), 0);
    assert_int_equal(tdm_reactor_fd_count(r), 2);
    /* a bad fd number is refused by epoll itself */
    assert_int_equal(tdm_reactor_add_fd(r, 100000, TDM_REACTOR_READ, on_fd, &c), -1);
    /* closed first, removed after: still forgotten */
    close(sv[1]);
    assert_int_equal(tdm_reactor_remove_fd(r, sv[1]), 0);
    assert_int_equal(tdm_reactor_remove_fd(r, sv[0]), 0);
    assert_int_equal(tdm_reactor_fd_count(r), 0);
    close(sv[0]);
    tdm_reactor_destroy(r);
}

/* stop ends run after the current callback; run starts afresh afterwards. */
static void stopper(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)t;
    rep *p = ud;
    if (++p->fires % 3 == 0)
        tdm_reactor_stop(r);
}

static void test_stop(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_reactor_timer t = {0};
    rep p = {0};
    tdm_reactor_timer_start(r, &t, 0, 1 * MS, stopper, &p);
    tdm_reactor_stop(r); /* while not running: forgotten */
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(p.fires, 3);
    assert_true(tdm_reactor_timer_active(&t));
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(p.fires, 6);
    tdm_reactor_timer_stop(r, &t);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(p.fires, 6);
    tdm_reactor_destroy(r);
}

/* A timer that re-arms itself with 0 cannot starve a ready fd. */
typedef struct starve {
    int spins;
    bool fd_seen;
    int peer;
    tdm_reactor_timer t;
} starve;

static void spin_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    starve *s = ud;
    if (++s->spins == 5)
        assert_int_equal(write(s->peer, "x", 1), 1);
    if (!s->fd_seen && s->spins < 1000)
        tdm_reactor_timer_start(r, t, 0, 0, spin_cb, ud);
}

static void seen_cb(tdm_reactor *r, int fd, unsigned events, void *ud)
{
    (void)events;
    starve *s = ud;
    s->fd_seen = true;
    tdm_reactor_remove_fd(r, fd);
}

static void test_zero_timer_does_not_starve_fds(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    starve s;
    memset(&s, 0, sizeof s);
    s.peer = sv[1];
    tdm_reactor_timer_start(r, &s.t, 0, 0, spin_cb, &s);
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, seen_cb, &s), 0);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_true(s.fd_seen);
    assert_true(s.spins >= 5 && s.spins <= 7); /* seen within a round or two */
    close(sv[0]);
    close(sv[1]);
    tdm_reactor_destroy(r);
}

/* Many timers, random starts and cancels: the heap stays ordered. */
static void order_cb(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)r;
    int64_t *last = ud;
    assert_true(t->deadline_ns >= *last);
    *last = t->deadline_ns;
}

static void test_heap_under_churn(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    enum { N = 300 };
    static tdm_reactor_timer t[N];
    memset(t, 0, sizeof t);
    int64_t last = 0;
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        tdm_reactor_timer_start(r, &t[i], (int64_t)((x >> 33) % 5000) * 1000, 0, order_cb, &last);
    }
    for (int i = 0; i < N; i += 3)
        tdm_reactor_timer_stop(r, &t[i]);
    assert_int_equal(tdm_reactor_timer_count(r), N - N / 3);
    assert_int_equal(tdm_reactor_run(r), 0);
    assert_int_equal(tdm_reactor_get_stats(r)->timer_fires, N - N / 3);
    tdm_reactor_destroy(r);
}

/* Destroying with timers still active leaves them inactive (and leaks nothing). */
static void never(tdm_reactor *r, tdm_reactor_timer *t, void *ud)
{
    (void)r;
    (void)t;
    (void)ud;
    fail_msg("must not fire");
}

static void test_destroy_with_pending(void **state)
{
    (void)state;
    tdm_reactor *r = tdm_reactor_create();
    tdm_reactor_timer a = {0}, b = {0};
    tdm_reactor_timer_start(r, &a, 1000 * MS, 0, never, NULL);
    tdm_reactor_timer_start(r, &b, 1000 * MS, 5 * MS, never, NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(tdm_reactor_add_fd(r, sv[0], TDM_REACTOR_READ, on_fd, NULL), 0);
    assert_int_equal(tdm_reactor_run_once(r, false), 1);
    tdm_reactor_destroy(r);
    assert_false(tdm_reactor_timer_active(&a));
    assert_false(tdm_reactor_timer_active(&b));
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_run_returns),
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_cancel_from_callback),
        cmocka_unit_test(test_repeating_timer),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_fd_readiness),
        cmocka_unit_test(test_modify_interest),
        cmocka_unit_test(test_stale_events_dropped),
        cmocka_unit_test(test_hangup),
        cmocka_unit_test(test_fd_errors),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_zero_timer_does_not_starve_fds),
        cmocka_unit_test(test_heap_under_churn),
        cmocka_unit_test(test_destroy_with_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
