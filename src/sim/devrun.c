/* devrun.c — a device's runs on the loop: processes its due events up to a moment (each
 * run wrapped by cork.c's run_begin/run_end, so tokens one run makes for a stream leave
 * together) and re-arms its deadline timer. Kept apart from server.c, which owns the
 * process and calls into connections, so that gen.c can run its device without calling
 * back up into the files that call it. */
#include "sim/sim_int.h"

void tdm_sim_dev_touch(tdm_sim_devrt *d)
{
    if (!d->in_run && d->timer_open)
        tdm_sim_timer_arm(&d->timer, tdm_sim_dev_next_due(&d->dev));
}

void tdm_sim_dev_sync(tdm_sim_devrt *d, int64_t t)
{
    if (d->in_run)
        return;
    d->in_run = true;
    tdm_sim_run_begin(d->srv);
    tdm_sim_dev_run(&d->dev, t);
    d->in_run = false;
    tdm_sim_run_end(d->srv); /* after: a write that fails closes a stream, which syncs */
    tdm_sim_dev_touch(d);
}
