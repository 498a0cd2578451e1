/* sweep.c — sets up what every mode of tandem-sweep needs (the experiment, the output
 * and binary directories, the seed, the plan, a manifest already in the output
 * directory) and hands over to the mode asked for. */
#include "sweep/sweep.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "sweep/sweep_int.h"

static char *default_bin_dir(const tdm_sweep_opts *o)
{
    if (o->bin_dir)
        return strdup(o->bin_dir);
    const char *env = getenv("TANDEM_BIN");
    if (env && *env)
        return strdup(env);
    char *self = tdm_self_path("tandem-sweep");
    char *slash = self ? strrchr(self, '/') : NULL;
    if (slash) {
        *slash = '\0';
        return self;
    }
    free(self);
    return strdup("build/bin");
}

/* <bin_dir>/tandem-<v> when it is there, else tandem-<v> on PATH, else the first. */
static char *find_binary(const char *bin_dir, const char *variant, bool *found)
{
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s/tandem-%s", bin_dir, variant);
    char *p = tdm_buf_steal(&b);
    if (p && access(p, X_OK) == 0) {
        *found = true;
        return p;
    }
    const char *path = getenv("PATH");
    char *copy = path ? strdup(path) : NULL;
    char *save = NULL;
    for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue; /* a relative PATH entry would change meaning in another directory */
        tdm_buf q = {0};
        tdm_buf_printf(&q, "%s/tandem-%s", d, variant);
        if (access(tdm_buf_str(&q), X_OK) == 0) {
            free(p);
            free(copy);
            *found = true;
            return tdm_buf_steal(&q);
        }
        tdm_buf_free(&q);
    }
    free(copy);
    *found = false;
    return p;
}

static uint64_t random_seed(void)
{
    uint64_t s = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &s, sizeof s) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    }
    if (fd >= 0)
        close(fd);
    return s % 1000000000ULL; /* short enough to type back as --seed */
}

static int add_url(tdm_sweep_ctx *c, const char *u)
{
    for (size_t i = 0; i < c->n_urls; i++)
        if (strcmp(c->urls[i], u) == 0)
            return 0;
    char **v = realloc(c->urls, (c->n_urls + 1) * sizeof *v);
    if (!v)
        return -1;
    c->urls = v;
    if (!(c->urls[c->n_urls] = strdup(u)))
        return -1;
    c->n_urls++;
    return 0;
}

static void ctx_free(tdm_sweep_ctx *c)
{
    for (size_t i = 0; c->binaries && i < c->e.n_variants; i++)
        free(c->binaries[i]);
    free(c->binaries);
    free(c->bin_found);
    for (size_t i = 0; i < c->n_urls; i++)
        free(c->urls[i]);
    free(c->urls);
    free(c->cells);
    free(c->out);
    free(c->bin_dir);
    if (c->has_prior)
        tdm_manifest_free(&c->prior);
    tdm_experiment_free(&c->e);
}

int tdm_sweep_main(const tdm_sweep_opts *o)
{
    tdm_sweep_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    tdm_buf problems = {0};
    if (tdm_experiment_load_file(o->experiment, &c.e, &problems) != 0) {
        fprintf(stderr, "tandem-sweep: the experiment cannot be used:\n");
        const char *s = tdm_buf_str(&problems);
        while (*s) {
            size_t n = strcspn(s, "\n");
            fprintf(stderr, "  - %.*s\n", (int)n, s);
            s += n + (s[n] == '\n');
        }
        tdm_buf_free(&problems);
        return TDM_SWEEP_EXIT_ERROR;
    }
    tdm_buf_free(&problems);

    int rc = TDM_SWEEP_EXIT_ERROR;
    c.out = tdm_path_absolute(o->out ? o->out : c.e.output, TDM_PATH_LEXICAL);
    char *bd = default_bin_dir(o);
    c.bin_dir = bd ? tdm_path_absolute(bd, TDM_PATH_RESOLVED) : NULL;
    if (bd && !c.bin_dir)
        c.bin_dir = tdm_path_absolute(bd, TDM_PATH_LEXICAL);
    free(bd);
    c.binaries = calloc(c.e.n_variants, sizeof *c.binaries);
    c.bin_found = calloc(c.e.n_variants, sizeof *c.bin_found);
    if (!c.out || !c.bin_dir || !c.binaries || !c.bin_found)
        goto oom;
    for (size_t i = 0; i < c.e.n_variants; i++)
        if (!(c.binaries[i] = find_binary(c.bin_dir, c.e.variants[i], &c.bin_found[i])))
            goto oom;
    for (size_t k = 0; k < c.e.n_configs; k++)
        for (size_t u = 0; u < c.e.configs[k].n_urls; u++)
            if (add_url(&c, c.e.configs[k].urls[u]) != 0)
                goto oom;

    /* A manifest already there: its seed and order are this sweep's unless told otherwise. */
    char *mpath = tdm_path_join(c.out, "manifest.json");
    if (!mpath)
        goto oom;
    int lr = tdm_manifest_load(&c.prior, mpath, c.prior_err, sizeof c.prior_err);
    free(mpath);
    c.has_prior = lr == 0;
    if (lr == 1)
        c.prior_err[0] = '\0';

    if (o->has_seed) {
        c.seed = o->seed;
        c.seed_from = "--seed";
    } else if (c.has_prior) {
        c.seed = c.prior.seed;
        c.seed_from = "the manifest of this output directory";
    } else if (c.e.has_seed) {
        c.seed = c.e.seed;
        c.seed_from = "the experiment";
    } else {
        c.seed = random_seed();
        c.seed_from = "random (recorded in the manifest; pass --seed to repeat it)";
    }
    c.order = o->has_order ? o->order : c.has_prior ? c.prior.order : c.e.order;
    if (tdm_sweep_plan(&c.e, c.order, c.seed, &c.cells, &c.n_cells) != 0)
        goto oom;

    if (o->emit_jobs)
        rc = tdm_sweep_emit_jobs(&c, o->emit_jobs);
    else if (o->validate || o->dry_run) {
        rc = TDM_SWEEP_EXIT_OK;
        if (o->dry_run)
            rc = tdm_sweep_dry_run(&c);
        if (o->validate) {
            int v = tdm_sweep_validate(&c);
            rc = rc ? rc : v;
        }
    } else
        rc = tdm_sweep_execute(&c);
    ctx_free(&c);
    return rc;
oom:
    fprintf(stderr, "tandem-sweep: out of memory\n");
    ctx_free(&c);
    return TDM_SWEEP_EXIT_ERROR;
}
