/* json_mutation.h — test support for the differential tests of the tree-free JSON readers
 * (test_core_ollama_fastline.c, test_core_openai_fastchunk.c): seeded mutations of real
 * lines that steer a JSON reader into its other branches. Linked into every unit test. */
#ifndef TDM_TEST_JSON_MUTATION_H
#define TDM_TEST_JSON_MUTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A number below n from the seeded generator (n small: the modulo bias does not matter). */
size_t test_below(uint64_t *rng, size_t n);

/* Applies one to three seeded edits to the len bytes in buf (room for cap): a byte
 * flipped, inserted or deleted, a cut, or a span duplicated, with bytes that matter to
 * JSON. Returns the new length. */
size_t test_mutate_json(char *buf, size_t len, size_t cap, uint64_t *rng);

/* Runs `rounds` mutations of lines drawn from srcs[0..n) (each under 1,024 bytes) from
 * seed through compare, which returns whether the fast path took the line; returns how
 * many it took. */
size_t test_mutation_rounds(const char *const *srcs, size_t n, uint64_t seed, int rounds,
                            bool (*compare)(const char *line, size_t len));

#endif
