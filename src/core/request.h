/* request.h — builds what an agent sends: the URL and the JSON body of each call.
 *
 * Built once per call before the call is timed, so request construction never counts
 * against the client. Options are sent only when the scenario set them. */
#ifndef TDM_REQUEST_H
#define TDM_REQUEST_H

#include "core/scenario.h"

/* "http://host:port/api/generate" or ".../api/chat" for the agent (heap). */
char *tdm_request_url(const tdm_agent *a);

/* The JSON body of step s. prev is the text the agent's previous step generated (or
 * NULL), substituted for "{previous}" in the prompt. extra, when non-NULL, overrides
 * options (the warm-up call's num_predict). Returns a heap string, or NULL when out of
 * memory. */
char *tdm_request_body(const tdm_agent *a, const tdm_step *s, const char *prev, const tdm_options *extra);

/* The prompt with "{previous}" replaced (heap). */
char *tdm_request_prompt(const char *prompt, const char *prev);

#endif
