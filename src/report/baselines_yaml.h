/* baselines_yaml.h — a file of quoted baselines (experiments/baselines.yaml): values from
 * other reports with their source and what they measured, so the report's headline
 * comparisons are one option away (--baselines FILE) and the quoted numbers live in data
 * a reader can check, not in a command line. Each entry becomes one --baseline value;
 * every entry of a file names the metric it was measured with, and they must agree,
 * since the report compares all baselines on one metric. */
#ifndef TDM_REPORT_BASELINES_YAML_H
#define TDM_REPORT_BASELINES_YAML_H

#include <stddef.h>

typedef struct tdm_rep_baseline_file {
    char **specs;  /* "NAME=VALUE (summary; source; measured)", as --baseline takes them */
    size_t n;
    char *metric;  /* the run-level metric key every entry was measured with */
} tdm_rep_baseline_file;

/* Reads and checks path. Returns 0, or -1 with err naming the file, the entry and the
 * fix (a missing or unknown key, a value that is not a number, a metric that is not a
 * run-level one or differs between entries, no entry at all). */
int tdm_rep_baselines_yaml_load(const char *path, tdm_rep_baseline_file *out, char *err, size_t errlen);
/* The same from a string; src names it in messages. */
int tdm_rep_baselines_yaml_parse(const char *yaml, size_t len, const char *src, tdm_rep_baseline_file *out,
                                 char *err, size_t errlen);
void tdm_rep_baseline_file_free(tdm_rep_baseline_file *f);

#endif
