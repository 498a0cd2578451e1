/* out.c — the FILE.partial -> FILE life of gpu.csv (see out.h). */
#include "gpu/out.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu/csv.h"

int tdm_gpu_out_open(tdm_gpu_out *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    size_t n = strlen(path);
    o->path = strdup(path);
    o->partial = malloc(n + sizeof ".partial");
    if (!o->path || !o->partial) {
        snprintf(err, errlen, "out of memory");
        tdm_gpu_out_free(o);
        return -1;
    }
    memcpy(o->partial, path, n);
    memcpy(o->partial + n, ".partial", sizeof ".partial");
    o->f = fopen(o->partial, "we");
    if (!o->f) {
        snprintf(err, errlen, "cannot create %s: %s; create its directory or pass another --out", o->partial,
                 strerror(errno));
        tdm_gpu_out_free(o);
        return -1;
    }
    if (fputs(TDM_GPU_CSV_HEADER, o->f) == EOF || fflush(o->f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", o->partial, strerror(errno));
        tdm_gpu_out_free(o);
        return -1;
    }
    return 0;
}

int tdm_gpu_out_add(tdm_gpu_out *o, const tdm_gpu_sample *s)
{
    if (o->batch_cap - o->batch_len < TDM_GPU_CSV_LINE_MAX) {
        size_t cap = o->batch_cap ? 2 * o->batch_cap : 8 * TDM_GPU_CSV_LINE_MAX;
        char *b = realloc(o->batch, cap);
        if (!b)
            return -1;
        o->batch = b;
        o->batch_cap = cap;
    }
    o->batch_len += tdm_gpu_csv_line(s, o->batch + o->batch_len);
    return 0;
}

int tdm_gpu_out_flush(tdm_gpu_out *o, char *err, size_t errlen)
{
    size_t len = o->batch_len;
    o->batch_len = 0;
    if (len && (fwrite(o->batch, 1, len, o->f) != len || fflush(o->f) != 0)) {
        o->broken = 1;
        snprintf(err, errlen, "cannot write %s: %s; free disk space or pass another --out", o->partial,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* fsync the directory so the rename itself survives a crash. */
static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int tdm_gpu_out_finish(tdm_gpu_out *o, char *err, size_t errlen)
{
    FILE *f = o->f;
    o->f = NULL;
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (bad) {
        snprintf(err, errlen, "cannot write %s: %s", o->partial, strerror(e ? e : errno));
        return -1;
    }
    if (rename(o->partial, o->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", o->partial, o->path, strerror(errno));
        return -1;
    }
    sync_dir_of(o->path);
    return 0;
}

void tdm_gpu_out_free(tdm_gpu_out *o)
{
    if (o->f)
        fclose(o->f);
    free(o->path);
    free(o->partial);
    free(o->batch);
    memset(o, 0, sizeof *o);
}
