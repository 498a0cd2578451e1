/* hosts.h — the machines results come from. A sweep spread over hosts (emitted jobs,
 * Slurm) merges cells measured on different machines. They may be pooled only where the
 * machines are alike, and even then the host may matter as much as the variant.
 *
 * A run directory's host is provenance host.hostname. Its identity is what must match to
 * pool: the CPU model and count (the client's cost lives there), the GPUs by name with the
 * driver, and the Ollama version and model digest of every server it used; a fact a run
 * cannot give (no GPU telemetry) is left out and matches anything. The report
 * refuses results whose identities differ unless told to pool them, and with more than
 * one host it shows each run's host (runs.csv) and a host-effect check. That check asks,
 * on the primary metric and within each configuration, whether the same variant on two
 * hosts differs more than the variants differ from each other. */
#ifndef TDM_REPORT_HOSTS_H
#define TDM_REPORT_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

typedef struct tdm_rep_host {
    char *name;                /* hostname ("unknown" when the provenance has none) */
    char *identity;            /* what must match to pool (see above), its facts joined */
    char **facts;              /* "key: value", sorted; a fact no run of the host gave is absent */
    size_t n_facts;
    size_t n_runs;
} tdm_rep_host;

typedef struct tdm_rep_hosts {
    tdm_rep_host *hosts;       /* by name, in order of first appearance; a name twice when its runs'
                                * facts conflict (a driver changed mid-sweep) */
    size_t n;
    long *run_host;            /* per run of the dataset: its entry */
    size_t n_identities;       /* 1, or with facts in conflict the distinct identities */
    bool pooled;               /* identities differ and pooling was asked for */
    /* the host-effect check, on the primary metric of tandem's own runs (NaN: not made) */
    int metric;                /* -1: none */
    size_t n_variants;         /* variants with a cell measured on at least two hosts */
    double host_effect;        /* mean over such cells of (highest - lowest host mean) */
    double variant_effect;     /* mean over configurations of (highest - lowest variant mean) */
} tdm_rep_hosts;

/* The host of directory d (never NULL). */
const char *tdm_rep_dir_host(const tdm_rep_dataset *ds, size_t d);

/* Finds the hosts of the loaded runs. With identities that differ and !pool: returns 1,
 * err listing each identity with its hosts and the two ways on. Returns 0, or -1 when
 * memory ran out. */
int tdm_rep_hosts_find(const tdm_rep_dataset *ds, bool pool, tdm_rep_hosts *h, char *err, size_t errlen);

/* The host-effect check (after grouping): fills metric, n_variants and the two effects. */
void tdm_rep_hosts_effect(const tdm_rep_dataset *ds, int metric, tdm_rep_hosts *h);

void tdm_rep_hosts_free(tdm_rep_hosts *h);

#endif
