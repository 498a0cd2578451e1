/* fileio.h — results on disk: directories, and files written atomically; and the few
 * file-system helpers every tool shares (absolute paths, existence, rm -rf, the running
 * binary's path), here once so no module keeps its own copy.
 *
 * Every result file is written to a temporary file in the same directory, flushed to
 * disk and renamed over its final name, so a crash leaves either the old complete file
 * or the new complete one — never a torn file — and nothing measured earlier is lost. */
#ifndef TDM_FILEIO_H
#define TDM_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

struct json_t;

/* mkdir -p; returns 0 or -1 with err naming the directory and the reason. */
int tdm_mkdirs(const char *path, char *err, size_t errlen);
int tdm_write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Pretty-printed, keys in insertion order, newline-terminated. */
int tdm_write_json_atomic(const char *path, struct json_t *doc, char *err, size_t errlen);
/* Returns a new reference or NULL with err naming the file, line and problem. */
struct json_t *tdm_read_json_file(const char *path, char *err, size_t errlen);
/* Joins a directory and a name into a heap path. */
char *tdm_path_join(const char *dir, const char *name);

/* How tdm_path_absolute makes a path absolute. */
typedef enum tdm_path_how {
    /* Against the current directory, leading "./" and trailing '/' dropped, touching the
     * file system only through getcwd: for paths that may not exist yet (an output
     * directory) and must keep the name given (no link resolved). A copy of the path
     * when getcwd fails. */
    TDM_PATH_LEXICAL,
    /* realpath(3): links, "." and ".." resolved. NULL when the path does not exist. */
    TDM_PATH_RESOLVED,
} tdm_path_how;
/* The path made absolute, in a heap string; NULL when memory ran out (or as said above). */
char *tdm_path_absolute(const char *path, tdm_path_how how);
/* Whether something is at path (lstat: a dangling link counts). */
bool tdm_path_exists(const char *path);
/* Whether path is a directory (stat: a link to one counts). */
bool tdm_is_dir(const char *path);
/* rm -rf, never following links; 0 (also when path does not exist) or -1 with err
 * naming the path, the reason and the fix. */
int tdm_rmtree(const char *path, char *err, size_t errlen);
/* The running binary's path (/proc/self/exe), or a copy of fallback when it cannot be
 * read. Heap string; NULL when memory ran out (or fallback is NULL and it cannot). */
char *tdm_self_path(const char *fallback);

/* The folder of the running binary (/proc/self/exe without its last component): where
 * its sibling tools and the build's plots are looked for. Heap string; NULL when it
 * cannot be read. */
char *tdm_self_dir(void);

#endif
