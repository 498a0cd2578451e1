/* write_md_hosts.c — the Technical Report's "Hosts" section: which machines the runs
 * come from, what each is (the identity hosts.c compares), whether machines that differ
 * were pooled on request, and the host-effect check in words. Nothing when every run
 * comes from one host, so single-host reports read as before. */
#include <math.h>
#include <stdio.h>

#include "report/output.h"

void tdm_rep_md_hosts_section(tdm_buf *b, const tdm_rep_analysis *an)
{
    const tdm_rep_hosts *h = &an->hosts;
    if (h->n < 2 && !h->pooled)
        return;
    tdm_buf_append_str(b, "## Hosts\n\n| host | runs | identity (must match to pool) |\n|---|---|---|\n");
    for (size_t i = 0; i < h->n; i++) {
        tdm_buf_append_str(b, "| ");
        tdm_rep_md_text(b, h->hosts[i].name);
        tdm_buf_printf(b, " | %zu | ", h->hosts[i].n_runs);
        tdm_rep_md_text(b, h->hosts[i].identity);
        tdm_buf_append_str(b, " |\n");
    }
    tdm_buf_append_str(b, "\n");
    if (h->pooled)
        tdm_buf_printf(b, "**These hosts differ** (%zu identities) and were pooled because `--pool-hosts` asked "
                          "for it: any difference between them is read below as a difference between variants.\n\n",
                       h->n_identities);
    if (h->metric < 0)
        return;
    const tdm_rep_metric_def *m = tdm_rep_metric(h->metric);
    const char *unit = m->unit[0] == '%' ? " pp" : m->unit[0] ? " " : "";
    const char *unit_word = m->unit[0] == '%' ? "" : m->unit;
    if (h->n_variants == 0 || isnan(h->host_effect)) {
        tdm_buf_append_str(b, "Host effect: no variant ran on two hosts, so a host's difference cannot be told "
                              "from a variant's. Spread every variant over the hosts (the sweep's blocks do that "
                              "when every host runs whole blocks).\n\n");
        return;
    }
    tdm_buf_printf(b, "Host effect on %s: the same variant in the same configuration differs by %.*f%s%s between "
                      "hosts (mean over the cells of the %zu variant%s measured on two or more); within a "
                      "configuration the variants differ by %.*f%s%s from each other. ",
                   m->label, m->decimals, h->host_effect, unit, unit_word, h->n_variants,
                   h->n_variants == 1 ? "" : "s", m->decimals, h->variant_effect, unit, unit_word);
    if (isnan(h->variant_effect) || h->host_effect >= h->variant_effect)
        tdm_buf_append_str(b, "**The hosts differ at least as much as the variants do:** compare the variants "
                              "within one host.\n\n");
    else if (h->host_effect * 2 > h->variant_effect)
        tdm_buf_append_str(b, "The host effect is not small beside the variants' difference: read the "
                              "comparisons with it in mind.\n\n");
    else
        tdm_buf_append_str(b, "The host is not what separates the variants.\n\n");
}
