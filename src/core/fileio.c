/* fileio.c — directories, atomic result files and the shared file-system helpers (see
 * fileio.h). A leaf of the core: it calls only the buffer. */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"

int tdm_mkdirs(const char *path, char *err, size_t errlen)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", p, strerror(errno));
        rc = -1;
    }
    free(p);
    return rc;
}

/* fsync the directory so the rename itself survives a crash. */
static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int tdm_write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    tdm_buf tmp = {0};
    tdm_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    const char *tmpname = tdm_buf_str(&tmp);
    int fd = open(tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        tdm_buf_free(&tmp);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(tmpname);
            tdm_buf_free(&tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmpname, path) != 0) {
        snprintf(err, errlen, "cannot finish writing %s: %s", path, strerror(errno));
        unlink(tmpname);
        tdm_buf_free(&tmp);
        return -1;
    }
    sync_dir_of(path);
    tdm_buf_free(&tmp);
    return 0;
}

/* jansson's dump callback: appends to a tdm_buf. Serialising straight into one buffer
 * (json_dumps would build a string of its own, then copy it) matters for records.json,
 * whose per-token arrays make it the largest thing a run writes. */
static int append_to_buf(const char *data, size_t size, void *ctx)
{
    return tdm_buf_append(ctx, data, size);
}

int tdm_write_json_atomic(const char *path, json_t *doc, char *err, size_t errlen)
{
    tdm_buf b = {0};
    if (json_dump_callback(doc, append_to_buf, &b,
                           JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) != 0 ||
        tdm_buf_append_str(&b, "\n") != 0) {
        tdm_buf_free(&b);
        snprintf(err, errlen, "cannot serialise %s (out of memory?)", path);
        return -1;
    }
    int rc = tdm_write_file_atomic(path, tdm_buf_str(&b), b.len, err, errlen);
    tdm_buf_free(&b);
    return rc;
}

json_t *tdm_read_json_file(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
    return doc;
}

char *tdm_path_join(const char *dir, const char *name)
{
    tdm_buf b = {0};
    tdm_buf_printf(&b, "%s/%s", dir, name);
    return tdm_buf_steal(&b);
}

/* Lexical: the shape tandem-sweep has always given its output directory. */
static char *absolute_lexical(const char *path)
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

char *tdm_path_absolute(const char *path, tdm_path_how how)
{
    if (how == TDM_PATH_LEXICAL)
        return absolute_lexical(path);
    char buf[PATH_MAX];
    return realpath(path, buf) ? strdup(buf) : NULL;
}

bool tdm_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool tdm_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return rc != 0 && errno != ENOENT ? -1 : 0;
}

int tdm_rmtree(const char *path, char *err, size_t errlen)
{
    if (!tdm_path_exists(path))
        return 0;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s; remove it by hand", path, strerror(errno));
        return -1;
    }
    return 0;
}

char *tdm_self_path(const char *fallback)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return fallback ? strdup(fallback) : NULL;
    buf[n] = '\0';
    return strdup(buf);
}

char *tdm_self_dir(void)
{
    char *p = tdm_self_path(NULL);
    char *slash = p ? strrchr(p, '/') : NULL;
    if (!slash) {
        free(p);
        return NULL;
    }
    *slash = '\0';
    return p;
}
