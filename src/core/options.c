/* options.c — the table of pass-through Ollama options (see options.h). */
#include "core/options.h"

#include <string.h>

static const struct {
    const char *name;
    bool is_int;
} table[TDM_OPT_COUNT] = {
    [TDM_OPT_NUM_GPU] = {"num_gpu", true},
    [TDM_OPT_NUM_CTX] = {"num_ctx", true},
    [TDM_OPT_NUM_PREDICT] = {"num_predict", true},
    [TDM_OPT_NUM_THREAD] = {"num_thread", true},
    [TDM_OPT_TOP_K] = {"top_k", true},
    [TDM_OPT_SEED] = {"seed", true},
    [TDM_OPT_TEMPERATURE] = {"temperature", false},
    [TDM_OPT_TOP_P] = {"top_p", false},
    [TDM_OPT_REPEAT_PENALTY] = {"repeat_penalty", false},
};

const char *tdm_option_name(tdm_option_id id)
{
    return id < TDM_OPT_COUNT ? table[id].name : "?";
}

bool tdm_option_is_int(tdm_option_id id)
{
    return id < TDM_OPT_COUNT && table[id].is_int;
}

tdm_option_id tdm_option_by_name(const char *name)
{
    for (int i = 0; i < TDM_OPT_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return (tdm_option_id)i;
    return TDM_OPT_COUNT;
}

void tdm_options_set(tdm_options *o, tdm_option_id id, double v)
{
    o->set |= 1u << id;
    o->value[id] = v;
}

bool tdm_options_has(const tdm_options *o, tdm_option_id id)
{
    return (o->set >> id) & 1u;
}

void tdm_options_merge(tdm_options *dst, const tdm_options *src)
{
    for (int i = 0; i < TDM_OPT_COUNT; i++)
        if (tdm_options_has(src, (tdm_option_id)i))
            tdm_options_set(dst, (tdm_option_id)i, src->value[i]);
}
