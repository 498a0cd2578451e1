/* fuzz_common.h — what every fuzz target shares: FUZZ_CHECK, which aborts (so libFuzzer
 * saves the input) when a promise of the parser is broken, and how one input is cut into
 * the pieces a transport might deliver.
 *
 * The cut points come from the input itself (a hash of its bytes seeds a small generator),
 * so a crash reproduces from the file alone and the corpus stays plain protocol text with
 * no control header in front. Pieces are mostly short (1 to 16 bytes) with now and then a
 * long one, so splits land inside every token of the grammar. */
#ifndef TDM_FUZZ_COMMON_H
#define TDM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken promise is a finding like a crash: say which, then abort for libFuzzer. */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A copy of n bytes in a block of exactly n bytes (at least 1 allocated), so AddressSanitizer
 * catches any read past what a parser was given. */
static inline char *fuzz_exact_copy(const void *src, size_t n)
{
    char *p = malloc(n ? n : 1);
    FUZZ_CHECK(p != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        p[i] = ((const char *)src)[i];
    return p;
}

typedef struct fuzz_split {
    uint64_t state;
} fuzz_split;

/* FNV-1a over the input; salt picks a different cutting for a second pass. */
static inline void fuzz_split_init(fuzz_split *s, const uint8_t *data, size_t len, uint64_t salt)
{
    uint64_t h = 0xcbf29ce484222325ull ^ salt;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    s->state = h;
}

/* splitmix64: one well-mixed number per call. */
static inline uint64_t fuzz_split_next(fuzz_split *s)
{
    uint64_t z = (s->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Length of the next piece, 1..left (left > 0). */
static inline size_t fuzz_split_piece(fuzz_split *s, size_t left)
{
    uint64_t r = fuzz_split_next(s);
    size_t n = (r & 7) == 0 ? (size_t)(r >> 8) % 512 + 1 : (size_t)(r >> 8) % 16 + 1;
    return n < left ? n : left;
}

/* How a framing pass cuts the input: FUZZ_WHOLE in one piece, FUZZ_BYTES one byte at a
 * time, FUZZ_PIECES in pieces fuzz_split_piece draws. */
enum { FUZZ_WHOLE = 0, FUZZ_BYTES = 1, FUZZ_PIECES = 2 };

/* The length of the next piece of a pass that cuts as `step` says, with left bytes to go. */
static inline size_t fuzz_piece_len(int step, fuzz_split *cut, size_t left)
{
    if (left == 0 || step == FUZZ_WHOLE)
        return left;
    return step == FUZZ_BYTES ? 1 : fuzz_split_piece(cut, left);
}

#endif
