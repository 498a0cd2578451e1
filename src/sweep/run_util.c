/* run_util.c — the runner's helpers that several parts of a run need (see run_int.h):
 * a server's index, the manifest write, a reason on one terminal line. A leaf, so the
 * parts that use them never call back into each other. */
#include <stdio.h>
#include <string.h>

#include "sweep/run_int.h"

size_t tdm_sweep_url_index(const tdm_sweep_ctx *c, const char *u)
{
    for (size_t i = 0; i < c->n_urls; i++)
        if (strcmp(c->urls[i], u) == 0)
            return i;
    return 0;
}

bool tdm_sweep_runner_save(tdm_sweep_runner *r)
{
    if (!r->save)
        return true;
    char err[1024];
    if (tdm_manifest_save(&r->m, err, sizeof err) != 0) {
        fprintf(stderr, "tandem-sweep: cannot write the manifest: %s\n", err);
        return false;
    }
    return true;
}

void tdm_sweep_one_line(const char *s, char *out, size_t max)
{
    size_t o = 0;
    for (; s && *s && o + 4 < max; s++) {
        if (*s == '\n') {
            out[o++] = ' ';
            out[o++] = '|';
            out[o++] = ' ';
        } else
            out[o++] = *s;
    }
    out[o] = '\0';
}

const tdm_sweep_point *tdm_sweep_cell_point(const tdm_sweep_ctx *c, size_t i)
{
    const tdm_sweep_cell *cell = &c->cells[i];
    return &c->e.configs[cell->config].points[cell->point];
}
