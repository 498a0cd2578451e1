/* seed_prompts.h — the seed harness's prompts, verbatim, for the built-in scenarios. */
#ifndef TDM_SEED_PROMPTS_H
#define TDM_SEED_PROMPTS_H

/* The two agents' prompts: each agent's first (analysis) call. */
extern const char tdm_seed_collector_prompt[];
extern const char tdm_seed_insight_prompt[];
/* The second (report) call's prompt; "{previous}" stands for the analysis text. */
extern const char tdm_seed_report_prompt[];

#endif
