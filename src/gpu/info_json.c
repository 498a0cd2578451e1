/* info_json.c — device facts as JSON (see info_json.h). Field names carry their units
 * (memory_total_mib, power_limit_w) as everywhere in tandem's results. */
#include "gpu/info_json.h"

/* A string, or null when empty or not valid UTF-8 (jansson refuses those). */
static json_t *str_or_null(const char *s)
{
    json_t *v = s && *s ? json_string(s) : NULL;
    return v ? v : json_null();
}

static json_t *dev_json(const tdm_gpu_dev *g)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "index", json_integer(g->index));
    json_object_set_new(o, "name", str_or_null(g->name));
    json_object_set_new(o, "uuid", str_or_null(g->uuid));
    json_object_set_new(o, "memory_total_mib",
                        g->have_memory_total ? json_integer((json_int_t)g->memory_total_mib) : json_null());
    json_object_set_new(o, "compute_cap", str_or_null(g->compute_cap));
    json_object_set_new(o, "power_limit_w", g->have_power_limit ? json_real(g->power_limit_w) : json_null());
    return o;
}

json_t *tdm_gpu_info_json(const tdm_gpu_info *info)
{
    json_t *o = json_object(), *gpus = json_array();
    if (!o || !gpus) {
        json_decref(o);
        json_decref(gpus);
        return NULL;
    }
    json_object_set_new(o, "source", json_string(info->source));
    json_object_set_new(o, "driver_version", str_or_null(info->driver_version));
    json_object_set_new(o, "cuda_driver_version", str_or_null(info->cuda_driver_version));
    for (size_t i = 0; i < info->n_gpus; i++) {
        json_t *g = dev_json(&info->gpus[i]);
        if (!g || json_array_append_new(gpus, g) != 0) {
            json_decref(o);
            json_decref(gpus);
            return NULL;
        }
    }
    json_object_set_new(o, "gpus", gpus);
    return o;
}

json_t *tdm_gpu_unavailable_json(const char *reason)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "source", json_null());
    json_object_set_new(o, "reason", str_or_null(reason));
    json_object_set_new(o, "gpus", json_array());
    return o;
}
