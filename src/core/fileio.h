/* fileio.h — results on disk: directories, and files written atomically.
 *
 * Every result file is written to a temporary file in the same directory, flushed to
 * disk and renamed over its final name, so a crash leaves either the old complete file
 * or the new complete one — never a torn file — and nothing measured earlier is lost. */
#ifndef TDM_FILEIO_H
#define TDM_FILEIO_H

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

#endif
