/* request.h — reading the JSON bodies of /api/generate, /api/chat and /api/show into the
 * few facts the simulator acts on, with Ollama's 400 messages for what it would reject.
 * Also Go's time.ParseDuration, which Ollama uses for "keep_alive" strings. */
#ifndef TDM_SIM_REQUEST_H
#define TDM_SIM_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* keep_alive that never expires (Ollama maps every negative value to this). */
#define TDM_SIM_FOREVER INT64_MAX
/* Prompt token ids kept for the `context` array; more would only bloat the final line. */
#define TDM_SIM_MAX_CONTEXT_IDS 65536

/* The API a generation request came in through: Ollama's native /api/generate and
 * /api/chat, or the OpenAI-compatible /v1/chat/completions (a chat on the same runner,
 * answered in OpenAI's shapes). */
enum { TDM_SIM_API_GENERATE = 0, TDM_SIM_API_CHAT, TDM_SIM_API_OPENAI };

/* The prompt hash of a chat before its first message (see tdm_sim_genreq_add_message). */
#define TDM_SIM_CHAT_HASH0 2

typedef struct tdm_sim_genreq {
    int api;                 /* TDM_SIM_API_*; chat is true for chat and openai */
    bool chat;
    char *model;             /* as sent (echoed in every line, as Ollama does) */
    bool stream;             /* default true */
    int64_t num_predict;     /* > 0 when options.num_predict fixes the output length */
    bool has_seed;
    int64_t seed;            /* options.seed */
    bool has_keep_alive;
    int64_t keep_alive_ns;   /* >= 0, or TDM_SIM_FOREVER */
    bool empty;              /* generate: prompt ""; chat: no messages (load/unload only) */
    int64_t prompt_tokens;   /* tokens to prefill */
    int32_t *ids;            /* generate: request context + prompt token ids (capped) */
    size_t n_ids;
    uint64_t prompt_hash;    /* hash of the prompt text, for seeding */
    char *opt_error;         /* an option of the wrong type: Ollama answers 500 with this,
                              * but only once the model is known to exist */
    bool include_usage;      /* openai: stream_options.include_usage (a usage chunk) */
} tdm_sim_genreq;

/* Parses a generate (chat false) or chat body the way Ollama 0.11.4 binds it (Go's
 * json.Decoder: only the first value is read, field names match case-insensitively,
 * null is an empty request). Returns 0, or -1 with Ollama's message in err for a 400
 * answer. A generate request may name no model (Ollama answers 404 "model '' not
 * found"); a chat request may not (400 "model is required"). On success the caller
 * frees with tdm_sim_genreq_free. */
int tdm_sim_genreq_parse(const char *body, size_t len, bool chat, tdm_sim_genreq *out,
                         char *err, size_t errlen);
void tdm_sim_genreq_free(tdm_sim_genreq *r);
/* One chat message as the runner sees it: its template tokens and content count in
 * prompt_tokens, and role and content in prompt_hash (which seeds the answer), so a chat
 * sent through /api/chat or /v1/chat/completions gets the same text. */
void tdm_sim_genreq_add_message(tdm_sim_genreq *r, const char *role, size_t rl,
                                const char *content, size_t cl);

/* Parses a /api/show body ({"model"} or the older {"name"}); *model is malloc'd. */
int tdm_sim_showreq_parse(const char *body, size_t len, char **model, char *err, size_t errlen);

/* Whether Ollama's model.ParseName would accept the name (a chat request naming an
 * invalid one gets 400 "model is required"; a generate request, 404). */
bool tdm_sim_model_name_valid(const char *name);

/* Go's time.ParseDuration ("300ms", "1.5h", "-1m", "0"). Returns 0 and *ns, or -1. */
int tdm_sim_parse_duration(const char *s, int64_t *ns);

#endif
