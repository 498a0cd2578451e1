/* interrupt.c — the stop-requested state (see interrupt.h). */
#include "core/interrupt.h"

#include <stdatomic.h>

/* Lock-free on every platform the project builds for (checked below), hence safe to
 * store from a signal handler. */
static atomic_int requests;
static atomic_llong deadline_ns;

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "the interrupt state must be lock-free to be set from a signal handler");

int tdm_interrupt_request(int64_t now)
{
    long long none = 0;
    /* The first request fixes the deadline; later ones do not push it back. */
    atomic_compare_exchange_strong(&deadline_ns, &none, (long long)(now + TDM_INTERRUPT_GRACE_NS));
    return atomic_fetch_add(&requests, 1) + 1;
}

bool tdm_interrupt_requested(void)
{
    return atomic_load(&requests) > 0;
}

int64_t tdm_interrupt_deadline(void)
{
    return (int64_t)atomic_load(&deadline_ns);
}

void tdm_interrupt_reset(void)
{
    atomic_store(&deadline_ns, 0);
    atomic_store(&requests, 0);
}
