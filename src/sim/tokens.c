/* tokens.c — prompt token counting and pseudo-word token text (see tokens.h). */
#include "sim/tokens.h"

#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int32_t piece_id(const char *p, size_t n)
{
    return (int32_t)(tdm_sim_hash64(p, n, 0x70cb) % TDM_SIM_VOCAB);
}

size_t tdm_sim_tokenize(const char *s, size_t len, int32_t *ids, size_t cap)
{
    size_t count = 0, i = 0;
    while (i < len) {
        while (i < len && is_space((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && !is_space((unsigned char)s[i]))
            i++;
        /* One token per started 4 bytes of the word. */
        for (size_t p = start; p < i; p += 4) {
            size_t n = i - p < 4 ? i - p : 4;
            if (count < cap)
                ids[count] = piece_id(s + p, n);
            count++;
        }
    }
    return count;
}

static const char *const ONSETS[] = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n",
                                     "p", "r", "s", "t", "v", "w", "z", "ch", "sh", "th",
                                     "st", "tr", "pl", "gr", ""};
static const char *const VOWELS[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"};
static const char *const CODAS[] = {"", "", "", "n", "r", "s", "l", "t", "m", "nd", "st"};
/* Multi-byte characters of every UTF-8 length: 2 (é ü ø ж Ω), 3 (— € 日 本), 4 (🙂). */
static const char *const MB[] = {"\xc3\xa9", "\xc3\xbc", "\xc3\xb8", "\xd0\xb6", "\xce\xa9",
                                 "\xe2\x80\x94", "\xe2\x82\xac", "\xe6\x97\xa5",
                                 "\xe6\x9c\xac", "\xf0\x9f\x99\x82"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void put(char *out, size_t *len, const char *s)
{
    size_t n = strlen(s);
    /* The word shape bounds the length well below the buffer; this is a backstop. */
    if (*len + n < TDM_SIM_TOKEN_MAX) {
        memcpy(out + *len, s, n);
        *len += n;
    }
}

void tdm_sim_textgen_init(tdm_sim_textgen *g, uint64_t seed, bool utf8, bool force_mb)
{
    tdm_sim_rng_seed(&g->rng, tdm_sim_mix64(seed ^ 0x7e47));
    g->utf8 = utf8 || force_mb;
    g->force_mb = force_mb;
    g->cap_next = true;
    g->n = 0;
}

size_t tdm_sim_textgen_next(tdm_sim_textgen *g, char out[TDM_SIM_TOKEN_MAX], int32_t *id)
{
    size_t len = 0;
    if (g->n > 0)
        out[len++] = ' ';
    size_t word_start = len;
    uint32_t syllables = 1 + tdm_sim_rng_below(&g->rng, 3);
    bool want_mb = g->force_mb || (g->utf8 && tdm_sim_rng_below(&g->rng, 3) == 0);
    uint32_t mb_at = tdm_sim_rng_below(&g->rng, syllables);
    for (uint32_t s = 0; s < syllables; s++) {
        put(out, &len, ONSETS[tdm_sim_rng_below(&g->rng, NELEM(ONSETS))]);
        if (want_mb && s == mb_at)
            put(out, &len, MB[tdm_sim_rng_below(&g->rng, NELEM(MB))]);
        else
            put(out, &len, VOWELS[tdm_sim_rng_below(&g->rng, NELEM(VOWELS))]);
        put(out, &len, CODAS[tdm_sim_rng_below(&g->rng, NELEM(CODAS))]);
    }
    if (g->cap_next && out[word_start] >= 'a' && out[word_start] <= 'z')
        out[word_start] = (char)(out[word_start] - 'a' + 'A');
    g->cap_next = false;
    uint32_t p = tdm_sim_rng_below(&g->rng, 16);
    if (p == 0) {
        put(out, &len, ".");
        g->cap_next = true;
    } else if (p == 1) {
        put(out, &len, ",");
    }
    out[len] = '\0';
    if (id)
        *id = piece_id(out, len);
    g->n++;
    return len;
}
