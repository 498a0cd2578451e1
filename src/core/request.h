/* request.h — builds what an agent sends: the URL and the JSON body of each call.
 *
 * Built once per call before the call is timed, so request construction never counts
 * against the client. Options are sent only when the scenario set them. */
#ifndef TDM_REQUEST_H
#define TDM_REQUEST_H

#include "core/scenario.h"

/* "http://host:port/api/generate", ".../api/chat" or ".../v1/chat/completions" for the
 * agent (heap). */
char *tdm_request_url(const tdm_agent *a);

/* The JSON body of step s: Ollama's (generate: prompt and system; chat: messages; options
 * under "options") or the OpenAI API's (messages as for chat, "stream_options":
 * {"include_usage": true} when streamed, options at the top level by their OpenAI names,
 * no keep_alive). prev is the text the agent's previous step generated (or
 * NULL), substituted for "{previous}" in the prompt. extra, when non-NULL, overrides
 * options (the warm-up call's num_predict). Returns a heap string, or NULL when out of
 * memory. */
char *tdm_request_body(const tdm_agent *a, const tdm_step *s, const char *prev, const tdm_options *extra);

/* The prompt with "{previous}" replaced (heap). */
char *tdm_request_prompt(const char *prompt, const char *prev);

/* What a workflow step's body is built from besides the step itself. */
typedef struct tdm_request_inputs {
    const char *previous;             /* {previous}: the agent's previous step's text, or NULL */
    const char *const *outputs;       /* {output:X}: outputs[j] for X = the step's after[j] */
    size_t n_turns;                   /* history: the agent's earlier turns, oldest first */
    const char *const *turn_prompts;  /* as sent */
    const char *const *turn_replies;  /* as generated */
} tdm_request_inputs;

/* The prompt with "{previous}" and every "{output:X}" replaced (heap; NULL on OOM). */
char *tdm_request_prompt_in(const tdm_step *s, const tdm_request_inputs *in);
/* The body of step s from those inputs: the chat API sends the turns before the prompt
 * (history), the prompt as tdm_request_prompt_in gives it. Heap; NULL on OOM. */
char *tdm_request_body_in(const tdm_agent *a, const tdm_step *s, const tdm_request_inputs *in,
                          const tdm_options *extra);

#endif
