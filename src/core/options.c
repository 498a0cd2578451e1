/* options.c — the table of pass-through Ollama options (see options.h). */
#include "core/options.h"

#include <string.h>

/* openai: the option's name in an OpenAI API body, NULL for an option of Ollama's own. */
static const struct {
    const char *name;
    bool is_int;
    const char *openai;
} table[TDM_OPT_COUNT] = {
    [TDM_OPT_NUM_GPU] = {"num_gpu", true, NULL},
    [TDM_OPT_NUM_CTX] = {"num_ctx", true, NULL},
    [TDM_OPT_NUM_PREDICT] = {"num_predict", true, "max_tokens"},
    [TDM_OPT_NUM_THREAD] = {"num_thread", true, NULL},
    [TDM_OPT_TOP_K] = {"top_k", true, NULL},
    [TDM_OPT_SEED] = {"seed", true, "seed"},
    [TDM_OPT_TEMPERATURE] = {"temperature", false, "temperature"},
    [TDM_OPT_TOP_P] = {"top_p", false, "top_p"},
    [TDM_OPT_REPEAT_PENALTY] = {"repeat_penalty", false, NULL},
    [TDM_OPT_PRESENCE_PENALTY] = {"presence_penalty", false, "presence_penalty"},
    [TDM_OPT_FREQUENCY_PENALTY] = {"frequency_penalty", false, "frequency_penalty"},
};

const char *tdm_option_name(tdm_option_id id)
{
    return id < TDM_OPT_COUNT ? table[id].name : "?";
}

const char *tdm_option_openai_name(tdm_option_id id)
{
    return id < TDM_OPT_COUNT ? table[id].openai : NULL;
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
