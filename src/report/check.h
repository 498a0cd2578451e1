/* check.h — `tandem-report check`: a run directory's files judged against the records
 * format (docs/records.md, schema "tandem.run/1") and provenance.json's required keys,
 * so that the author of an external client learns exactly which file, run, call and
 * field is wrong and what it should be, before any number is derived from it.
 *
 * The checks here are stricter than the core reader (core/rundata_json.c) and run
 * before it: the reader stops at the first problem and lets some through (a negative
 * byte count, an event before the call began), while a client author needs every
 * problem, each located. The reader is then run as well (check_dir.c), so a directory
 * that passes here is one the report and `finalize` can read. */
#ifndef TDM_REPORT_CHECK_H
#define TDM_REPORT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/scenario.h"

struct json_t;

/* The problems found, one line each ("FILE: run K, calls[I] (...): field 'F' ..."). Only
 * the first `limit` are kept (0: TDM_REP_CHECK_LIMIT); the rest are counted. */
#define TDM_REP_CHECK_LIMIT 50
typedef struct tdm_rep_problems {
    tdm_buf text;
    size_t n;        /* problems found, kept or not */
    size_t limit;
} tdm_rep_problems;

void tdm_rep_problems_free(tdm_rep_problems *p);
/* Adds one problem line (a newline is appended). */
void tdm_rep_problem(tdm_rep_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The kept lines, plus "... and N more" when some were dropped; never NULL. */
const char *tdm_rep_problems_text(tdm_rep_problems *p);

/* How a JSON value reads in a message: "missing", "null", "a string", "the integer -5". */
const char *tdm_rep_json_describe(struct json_t *v, char *buf, size_t len);

/* Checks one records.json document of run run_no, read from `file`. s, when not NULL, is
 * the scenario as run (from provenance.json): agent names and step counts are checked
 * against it. Returns the number of problems added. */
size_t tdm_rep_check_records(struct json_t *doc, const char *file, int run_no, const tdm_scenario *s,
                             tdm_rep_problems *p);

/* Checks provenance.json's required keys and rebuilds the scenario as run from its
 * "scenario" (the shape of tdm_scenario_to_json), validated like any loaded scenario.
 * Returns the number of problems added; *out is filled only when none were (free it
 * with tdm_scenario_free), else left zeroed. */
size_t tdm_rep_check_provenance(struct json_t *prov, const char *file, tdm_scenario *out, tdm_rep_problems *p);

#endif
