/* sha256.h — SHA-256, only to give each simulated model a stable, realistic-looking
 * digest ("sha256:<hex>" in Ollama's listings) derived from its name. */
#ifndef TDM_SIM_SHA256_H
#define TDM_SIM_SHA256_H

#include <stddef.h>

/* Writes the 64 lowercase hex digits of SHA-256(data) and a NUL into hex. */
void tdm_sim_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
