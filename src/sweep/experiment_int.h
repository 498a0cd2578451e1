/* experiment_int.h — shared between the experiment's YAML reader and its checks; not
 * for other modules. */
#ifndef TDM_SWEEP_EXPERIMENT_INT_H
#define TDM_SWEEP_EXPERIMENT_INT_H

#include "core/buf.h"
#include "sweep/experiment.h"

/* Zeroes e and sets the documented defaults of the run settings. */
void tdm_experiment_init(tdm_experiment *e);

/* The checks after parsing: names, pins present, endpoints, each configuration's
 * scenario (built or loaded, to validate it and count its agents and calls), defaults
 * that derive from other fields. Appends one line per problem ("src: field: problem;
 * fix") and returns the number of problems (0: usable), or -1 on out of memory. */
int tdm_experiment_resolve(tdm_experiment *e, const char *src, tdm_buf *problems);

/* axes.c: e->n_points and e->n_client_points from the axes given. */
void tdm_sweep_count_points(tdm_experiment *e);
/* Fills cf->points (e->n_points of them) once cf is resolved: what the configuration is
 * at each point (scenario text, servers, agents, calls). Appends problems as
 * "src: f...: problem; fix" lines; returns their number, or -1 on out of memory. */
int tdm_sweep_resolve_points(tdm_experiment *e, tdm_sweep_config *cf, const char *f, const char *src,
                             tdm_buf *problems);
void tdm_sweep_points_free(tdm_sweep_config *cf, size_t n_points);

#endif
