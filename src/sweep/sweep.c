/* sweep.c — sets up what every mode of tandem-sweep needs (the experiment, the output
 * and binary directories, the seed, the plan, a manifest already in the output
 * directory) and hands over to the mode asked for. */
#include "sweep/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
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

bool tdm_sweep_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool tdm_sweep_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return rc != 0 && errno != ENOENT ? -1 : 0;
}

int tdm_sweep_rmtree(const char *path, char *err, size_t errlen)
{
    if (!tdm_sweep_exists(path))
        return 0;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s; remove it by hand", path, strerror(errno));
        return -1;
    }
    return 0;
}

char *tdm_sweep_self_path(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return strdup("tandem-sweep");
    buf[n] = '\0';
    return strdup(buf);
}

/* path made absolute against the current directory ("./" dropped), without touching
 * the file system beyond getcwd. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(path);
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    tdm_buf b = {0};
    if (strcmp(path, ".") == 0 || !*path)
        tdm_buf_append_str(&b, cwd);
    else
        tdm_buf_printf(&b, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
    char *s = tdm_buf_steal(&b);
    size_t n = s ? strlen(s) : 0;
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static char *default_bin_dir(const tdm_sweep_opts *o)
{
    if (o->bin_dir)
        return strdup(o->bin_dir);
    const char *env = getenv("TANDEM_BIN");
    if (env && *env)
        return strdup(env);
    char *self = tdm_sweep_self_path();
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
    c.out = absolute(o->out ? o->out : c.e.output);
    char *bd = default_bin_dir(o);
    char real[PATH_MAX];
    c.bin_dir = bd && realpath(bd, real) ? strdup(real) : (bd ? absolute(bd) : NULL);
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
