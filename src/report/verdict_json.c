/* verdict_json.c — the verdict's decision as data for analysis.json ("summary" →
 * "decision"), from the same tdm_rep_verdict the sentences are written from, so a reader
 * (or a test) can check the words against the numbers: the reference and primary metric,
 * what is recommended (the better one, else those shown equivalent when there are
 * several; none when only the reference is left), who was better, worse, shown
 * equivalent or inconclusive (with the runs that would
 * settle it), every difference beyond its margin, and the serial baseline's speedups. */
#include <jansson.h>
#include <math.h>

#include "report/verdict_phrase.h"

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *names(const tdm_rep_analysis *an, const int *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(an->ds->variants[v[i]].label));
    return a;
}

json_t *tdm_rep_verdict_json(const tdm_rep_analysis *an, const tdm_rep_verdict *vd)
{
    if (vd->n == 0 || vd->metric < 0)
        return json_null();
    json_t *incon = json_array(), *beyond = json_array(), *gains = json_array();
    for (size_t i = 0; i < vd->ninc; i++)
        json_array_append_new(incon, json_pack("{s:s, s:o}", "variant", an->ds->variants[vd->incon[i]].label,
                                               "runs_needed_per_variant", num(vd->runs_needed[i])));
    for (size_t i = 0; i < vd->nbeyond; i++) {
        const tdm_rep_comparison *c = vd->beyond[i];
        json_array_append_new(beyond, json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "variant",
                                                an->ds->variants[c->a].label, "metric", tdm_rep_metric(c->metric)->key,
                                                "difference", num(c->gap.diff), "margin", num(c->margin),
                                                "p_welch_holm", num(c->p_welch_holm), "verdict",
                                                tdm_rep_equiv_key(c->equiv)));
    }
    for (size_t i = 0; i < vd->ngains; i++) {
        const tdm_rep_serial_gain *g = &vd->gains[i];
        json_array_append_new(gains, json_pack("{s:s, s:I, s:o, s:o, s:o}", "variant",
                                               an->ds->variants[g->variant].label, "configurations",
                                               (json_int_t)g->configs, "speedup", num(g->speedup), "ci_lo",
                                               num(g->lo), "ci_hi", num(g->hi)));
    }
    json_t *serial = vd->nserial ? json_pack("{s:s, s:o}", "variant", an->ds->variants[vd->serial[0]].label,
                                             "speedups_against_it", gains)
                                 : (json_decref(gains), json_null());
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "reference",
                     an->ds->variants[vd->ref].label, "metric", tdm_rep_metric(vd->metric)->key, "recommended",
                     vd->best >= 0 ? names(an, &vd->best, 1) : names(an, vd->shown, vd->nshown > 1 ? vd->nshown : 0), "better",
                     names(an, vd->better, vd->nb), "worse", names(an, vd->worse, vd->nw), "shown_equivalent",
                     names(an, vd->shown, vd->nshown), "inconclusive", incon, "not_judged",
                     names(an, vd->unjudged, vd->nunj), "beyond_margin", beyond, "serial_baseline", serial);
}
