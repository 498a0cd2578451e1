/* progress.c — the sweep's progress lines on stderr (see sweep_int.h). A leaf, so the
 * modes that report progress never call back into sweep.c, which calls them. */
#include <stdarg.h>
#include <stdio.h>

#include "sweep/sweep_int.h"

void tdm_sweep_progress(const tdm_sweep_ctx *c, const char *fmt, ...)
{
    if (c->o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("tandem-sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}
