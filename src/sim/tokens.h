/* tokens.h — the simulator's deterministic "tokenizer" and its token text.
 *
 * Prompt side: a whitespace-separated word of L bytes counts ceil(L/4) tokens, which is
 * close to real BPE tokenizers on English text and needs no vocabulary. Each 4-byte piece
 * gets an id (a hash), so /api/generate can return a `context` array.
 * Output side: pronounceable pseudo-words drawn from a seeded generator, printable ASCII
 * by default, optionally with multi-byte UTF-8 characters mixed in. */
#ifndef TDM_SIM_TOKENS_H
#define TDM_SIM_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

/* Token ids lie in [0, TDM_SIM_VOCAB), like a 256k vocabulary (gemma3's size). */
#define TDM_SIM_VOCAB 262144
/* Longest token text tdm_sim_textgen_next writes, including the NUL. */
#define TDM_SIM_TOKEN_MAX 64

/* Counts the tokens of s[0..len) and writes the first cap ids into ids (may be NULL when
 * cap is 0). Returns the total count, which may exceed cap. */
size_t tdm_sim_tokenize(const char *s, size_t len, int32_t *ids, size_t cap);

typedef struct tdm_sim_textgen {
    tdm_sim_rng rng;
    bool utf8;       /* mix multi-byte UTF-8 characters into some words */
    bool force_mb;   /* every token holds at least one multi-byte character */
    bool cap_next;   /* the next word starts a sentence */
    uint64_t n;      /* tokens produced so far */
} tdm_sim_textgen;

void tdm_sim_textgen_init(tdm_sim_textgen *g, uint64_t seed, bool utf8, bool force_mb);
/* Writes the next token's text (NUL-terminated, < TDM_SIM_TOKEN_MAX bytes) into out and
 * its id into *id. Every token but the first starts with a space, as real word-level
 * tokens do. Returns the text's length in bytes. */
size_t tdm_sim_textgen_next(tdm_sim_textgen *g, char out[TDM_SIM_TOKEN_MAX], int32_t *id);

#endif
