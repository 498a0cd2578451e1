/* group.h — which cell a run belongs to. A cell is (variant, configuration): the
 * variant comes from cell.json (written by sweeps and by import-chimera) or from
 * provenance.json; the configuration from cell.json, the scenario name, or the keys the
 * user names with --group-by. Also what the provenance says about pins. Pure functions
 * of the JSON documents and the dataset, so they are unit-tested without files. */
#ifndef TDM_REPORT_GROUP_H
#define TDM_REPORT_GROUP_H

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

/* Groups the dataset's runs into variants, configurations and cells (see model.h for
 * the orders). reference: the variant listed first within its source. Returns 0 or -1
 * when memory ran out. */
int tdm_rep_group(tdm_rep_dataset *ds, const char *reference);

#endif
