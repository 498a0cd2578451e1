/* info_json.h — the `info` subcommand's JSON: device facts for provenance.json. */
#ifndef TDM_GPU_INFO_JSON_H
#define TDM_GPU_INFO_JSON_H

#include <jansson.h>

#include "gpu/gpu.h"

/* {"source", "driver_version", "cuda_driver_version", "gpus": [...]}, unknowns null.
 * NULL when memory ran out. */
json_t *tdm_gpu_info_json(const tdm_gpu_info *info);
/* {"source": null, "reason": reason, "gpus": []}. */
json_t *tdm_gpu_unavailable_json(const char *reason);

#endif
