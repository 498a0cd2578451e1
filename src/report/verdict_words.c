/* verdict_words.c — the small phrases the verdict's sentences share (see
 * verdict_words.h). Numbers go through format.c so the summary prints them as the
 * tables do. */
#include "report/verdict_words.h"

#include <string.h>

#include "report/format.h"

const char *tdm_rep_vw_label(int metric)
{
    switch (metric) {
    case TDM_M_EFFICIENCY:
        return "efficiency";
    case TDM_M_LEGACY_EFFICIENCY:
        return "legacy efficiency";
    case TDM_M_THROUGHPUT_GAIN:
        return "throughput gain";
    case TDM_M_TTFT:
        return "client TTFT";
    case TDM_M_ITL_P50:
        return "median inter-token latency";
    case TDM_M_DECODE_TPS:
        return "decode rate";
    case TDM_M_CLIENT_GAP:
        return "client gap";
    default:
        return tdm_rep_metric(metric)->key;
    }
}

void tdm_rep_vw_value(tdm_buf *b, double v, int metric)
{
    const tdm_rep_metric_def *d = tdm_rep_metric(metric);
    char x[64];
    tdm_rep_fmt(x, sizeof x, v, d->decimals);
    if (!*d->unit || strcmp(d->unit, "%") == 0)
        tdm_buf_printf(b, "%s%s", x, d->unit);
    else
        tdm_buf_printf(b, "%s %s", x, d->unit);
}

void tdm_rep_vw_diff(tdm_buf *b, double v, int metric)
{
    const tdm_rep_metric_def *d = tdm_rep_metric(metric);
    char x[64];
    tdm_rep_fmt(x, sizeof x, v, d->decimals);
    if (strcmp(d->unit, "%") == 0)
        tdm_buf_printf(b, "%s pp", x);
    else if (*d->unit)
        tdm_buf_printf(b, "%s %s", x, d->unit);
    else
        tdm_buf_append_str(b, x);
}

void tdm_rep_vw_list(tdm_buf *b, const tdm_rep_dataset *ds, const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tdm_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? (n == 2 ? " and " : ", and ") : ", ",
                       ds->variants[v[i]].label);
}

const char *tdm_rep_vw_margin(const tdm_rep_analysis *an, int metric, char *buf, size_t len)
{
    if (!(an->settings.margin[metric].value > 0.0))
        return NULL;
    return tdm_rep_margin_text(buf, len, metric, &an->settings.margin[metric]);
}

size_t tdm_rep_vw_pick(const tdm_rep_verdict *vd, const int *v, size_t n, tdm_rep_equiv_verdict want, int *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const tdm_rep_comparison *c = vd->cmp[v[i]];
        if (c && c->equiv == want)
            out[k++] = v[i];
    }
    return k;
}
