/* sha256.h — SHA-256: the sweep hashes its experiment and scenario files (a resumed
 * sweep must run byte-for-byte the inputs it started with), the simulator derives each
 * model's stable digest from its name. Hand-written because it is ~150 lines and the
 * artifact otherwise needs no crypto library. */
#ifndef TDM_SHA256_H
#define TDM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct tdm_sha256 {
    uint32_t h[8];
    uint64_t total;      /* bytes hashed so far */
    unsigned char block[64];
    size_t used;         /* bytes waiting in block */
} tdm_sha256;

void tdm_sha256_init(tdm_sha256 *c);
void tdm_sha256_update(tdm_sha256 *c, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL. */
void tdm_sha256_final_hex(tdm_sha256 *c, char hex[65]);
/* One call: the hex digest of data. */
void tdm_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
