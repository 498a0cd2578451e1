/* json_mutation.c — seeded mutations of JSON lines (see json_mutation.h). */
#include "json_mutation.h"

#include <string.h>

#include "core/prng.h"

size_t test_below(uint64_t *rng, size_t n)
{
    return (size_t)(tdm_splitmix64(rng) % n);
}

/* Bytes that steer a JSON reader into its other branches. */
static const char mutation_bytes[] = "\"\\{}[]:,.-+eE0159tfnu \t\r\n\x01\x7f\xc3\xa9\xed\xf0\x80\xbfx";

size_t test_mutate_json(char *buf, size_t len, size_t cap, uint64_t *rng)
{
    int edits = 1 + (int)test_below(rng, 3);
    for (int e = 0; e < edits && len > 0; e++) {
        size_t at = test_below(rng, len);
        char b = mutation_bytes[test_below(rng, sizeof mutation_bytes - 1)];
        switch (test_below(rng, 5)) {
        case 0: buf[at] = b; break;
        case 1:
            if (len + 1 < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = b;
                len++;
            }
            break;
        case 2:
            memmove(buf + at, buf + at + 1, len - at - 1);
            len--;
            break;
        case 3: len = at; break;
        default: {
            size_t n = 1 + test_below(rng, 8);
            if (at + n <= len && len + n < cap) {
                memmove(buf + at + n, buf + at, len - at);
                len += n;
            }
            break;
        }
        }
    }
    return len;
}

size_t test_mutation_rounds(const char *const *srcs, size_t n, uint64_t seed, int rounds,
                            bool (*compare)(const char *line, size_t len))
{
    uint64_t rng = seed;
    size_t taken = 0;
    char buf[1024];
    for (int round = 0; round < rounds; round++) {
        const char *src = srcs[test_below(&rng, n)];
        size_t len = strlen(src);
        memcpy(buf, src, len);
        len = test_mutate_json(buf, len, sizeof buf, &rng);
        taken += compare(buf, len);
    }
    return taken;
}
