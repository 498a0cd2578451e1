/* group.h — which cell a run belongs to. A cell is (variant, configuration): the
 * variant comes from cell.json (written by sweeps and by import-chimera) or from
 * provenance.json; the configuration from cell.json, the scenario name, or the keys the
 * user names with --group-by. Also what the provenance says about pins. Pure functions
 * of the JSON documents and the dataset, so they are unit-tested without files. */
#ifndef TDM_REPORT_GROUP_H
#define TDM_REPORT_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

struct json_t;

/* The configuration key of a run directory (heap string, NULL only when out of memory).
 * group_by NULL or "": cell.json "configuration", else provenance scenario.name, else
 * "unknown". Otherwise a comma-separated list of keys: "configuration" (that default),
 * "scenario" (the scenario name), "variant", "cell.<field>" (from cell.json) or a dotted
 * path into provenance.json ("scenario.agents.0.options.num_ctx"; array elements by
 * index). A path key contributes "<last component>=<value>", the others their value;
 * parts are joined with ", ". A missing value is "-". */
char *tdm_rep_config_key(struct json_t *prov, struct json_t *cell, const char *group_by);

/* The variant of a run directory: cell.json "variant", else provenance "variant", else
 * "unknown" (heap). */
char *tdm_rep_variant_of(struct json_t *prov, struct json_t *cell);

/* Why a run is not pinned (heap string), or NULL when every server's version and the
 * digest of every model the agents used are recorded and no pin mismatch is noted. */
char *tdm_rep_unpinned_reason(struct json_t *prov);

/* Whether one run directory's documents hold one --group-by key (no commas): the names
 * 'configuration', 'scenario' and 'variant' always; 'cell.FIELD' when cell.json holds the
 * dotted path FIELD; any other key when provenance.json holds that dotted path (a null
 * value counts: the key exists). A key no run holds would put every run in one
 * configuration, which is why tandem-report refuses it. */
bool tdm_rep_group_key_held(struct json_t *prov, struct json_t *cell, const char *key);

/* Up to max keys a --group-by could name in one run directory, for the message that
 * refuses an unknown one: dotted paths to the scalar values of cell.json (written
 * 'cell.PATH') and of provenance's scenario object ('scenario.PATH'), arrays by their
 * first element, texts longer than a label skipped. Joined with ", " (heap; "" when
 * there are none, NULL when out of memory). */
char *tdm_rep_group_key_examples(struct json_t *prov, struct json_t *cell, size_t max);

/* The variant name a --reference value means: a loaded variant's name, or its label as
 * the report prints it ("smol-1kb (seed)" for an imported variant). Reads the run
 * directories, so it works before grouping. Returns a pointer into ds (valid while ds
 * lives), or NULL when no loaded variant has that name or label. */
const char *tdm_rep_reference_resolve(const tdm_rep_dataset *ds, const char *given);

/* The loaded variants' labels as the report prints them, distinct, sorted, joined with
 * ", " (heap; NULL when out of memory). For messages that list the valid names. */
char *tdm_rep_variant_labels(const tdm_rep_dataset *ds);

/* Groups the dataset's runs into variants, configurations and cells (see model.h for
 * the orders). reference: the variant listed first within its source. Returns 0 or -1
 * when memory ran out. */
int tdm_rep_group(tdm_rep_dataset *ds, const char *reference);

#endif
