/* options.h — the Ollama request options tandem passes through, and which are set
 * (an openai agent sends those the OpenAI API has, under its names: request.c).
 *
 * An option that is not set is not sent, so Ollama's own default applies (the seed's
 * "baseline" agent sent none). Integer options are stored as doubles, which hold every
 * value these options take exactly. */
#ifndef TDM_OPTIONS_H
#define TDM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum tdm_option_id {
    TDM_OPT_NUM_GPU,
    TDM_OPT_NUM_CTX,
    TDM_OPT_NUM_PREDICT,
    TDM_OPT_NUM_THREAD,
    TDM_OPT_TOP_K,
    TDM_OPT_SEED,
    TDM_OPT_TEMPERATURE,
    TDM_OPT_TOP_P,
    TDM_OPT_REPEAT_PENALTY,
    TDM_OPT_PRESENCE_PENALTY,
    TDM_OPT_FREQUENCY_PENALTY,
    TDM_OPT_COUNT
} tdm_option_id;

typedef struct tdm_options {
    uint32_t set;               /* bit i set: option i is sent */
    double value[TDM_OPT_COUNT];
} tdm_options;

/* Ollama's JSON name of option id ("num_gpu", ...). */
const char *tdm_option_name(tdm_option_id id);
/* The option's name in an OpenAI API body ("max_tokens" for num_predict), or NULL for
 * an option of Ollama's own, which an openai agent may not set (scenario_validate.c). */
const char *tdm_option_openai_name(tdm_option_id id);
/* True for integer-valued options (sent as JSON integers). */
bool tdm_option_is_int(tdm_option_id id);
/* Looks an option up by its Ollama name; returns TDM_OPT_COUNT when unknown. */
tdm_option_id tdm_option_by_name(const char *name);

void tdm_options_set(tdm_options *o, tdm_option_id id, double v);
bool tdm_options_has(const tdm_options *o, tdm_option_id id);
/* Copies into dst every option set in src (src wins). */
void tdm_options_merge(tdm_options *dst, const tdm_options *src);

#endif
