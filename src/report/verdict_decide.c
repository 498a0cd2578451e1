/* verdict_decide.c — the decision behind the report's summary, from the comparisons
 * already computed: which variants differ significantly from the reference on the
 * primary metric after Holm's correction and which way, what the non-significant ones'
 * CIs leave open, how the pairs within single configurations came out, and which variant
 * to recommend. Nothing here writes words (verdict_finding.c, verdict_advice.c do), so
 * every sentence states a fact decided in one place. */
#include "report/verdict_decide.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_LISTS = 13 }; /* vs, better, worse, sig, same, nonsig, cand, lower, higher, serial, shown, incon, unjudged */

/* The first pooled comparison of v with its reference on the metric, as the tables list it. */
static const tdm_rep_comparison *pooled_cmp(const tdm_rep_analysis *an, int v, int metric)
{
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope == TDM_REP_SCOPE_POOLED && c->metric == metric && c->a == v)
            return c;
    }
    return NULL;
}

/* Every list gets room for every variant: one block, cut in slices (vs owns it). */
static int alloc_lists(size_t nv, size_t an_cmp, tdm_rep_verdict *vd)
{
    size_t room = nv ? nv : 1;
    int *block = calloc(N_LISTS * room, sizeof *block);
    vd->cmp = calloc(room, sizeof *vd->cmp);
    vd->serial_agents = calloc(room, sizeof *vd->serial_agents);
    vd->runs_needed = calloc(room, sizeof *vd->runs_needed);
    vd->gains = calloc(room, sizeof *vd->gains);
    vd->cap_beyond = an_cmp ? an_cmp : 1;
    vd->beyond = calloc(vd->cap_beyond, sizeof *vd->beyond);
    vd->vs = block;
    if (!block || !vd->cmp || !vd->serial_agents || !vd->runs_needed || !vd->gains || !vd->beyond)
        return -1;
    int **slice[N_LISTS] = {&vd->vs,     &vd->better, &vd->worse, &vd->sig,    &vd->same,
                            &vd->nonsig, &vd->cand,   &vd->lower, &vd->higher, &vd->serial,
                            &vd->shown,  &vd->incon,  &vd->unjudged};
    for (size_t i = 0; i < N_LISTS; i++)
        *slice[i] = block + i * room;
    return 0;
}

/* The group's variants, its reference (the first variant's), runs and configurations. */
static void collect_group(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd)
{
    const tdm_rep_dataset *ds = an->ds;
    for (size_t v = 0; v < ds->n_variants; v++)
        if (ds->variants[v].legacy == g) {
            vd->vs[vd->n++] = (int)v;
            if (vd->ref < 0)
                vd->ref = an->reference[v];
            vd->runs += an->variants[v].n_runs;
            if (an->variants[v].n_configs > vd->configs_max)
                vd->configs_max = an->variants[v].n_configs;
        }
}

static double pooled_mean(const tdm_rep_analysis *an, int v, int metric)
{
    return an->variants[v].pooled.m[metric][0].desc.mean;
}

/* The range of the pooled means: the first variant wins ties. */
static void find_range(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    int P = vd->metric;
    vd->lo_v = vd->hi_v = vd->vs[0];
    for (int i = 0; i < vd->n; i++) {
        double m = pooled_mean(an, vd->vs[i], P);
        if (m < pooled_mean(an, vd->lo_v, P))
            vd->lo_v = vd->vs[i];
        if (m > pooled_mean(an, vd->hi_v, P))
            vd->hi_v = vd->vs[i];
    }
    vd->lo_mean = pooled_mean(an, vd->lo_v, P);
    vd->hi_mean = pooled_mean(an, vd->hi_v, P);
}

/* Sorts each variant against the reference by its pooled comparison. */
static void classify(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    bool higher_better = tdm_rep_metric(vd->metric)->higher_is_better;
    vd->same[vd->ns++] = vd->ref;
    for (int i = 0; i < vd->n; i++) {
        int v = vd->vs[i];
        const tdm_rep_comparison *c = vd->cmp[v] = pooled_cmp(an, v, vd->metric);
        if (v == vd->ref)
            continue;
        if (!c || isnan(c->p_welch_holm)) {
            vd->same[vd->ns++] = v;
            continue;
        }
        vd->tested++;
        vd->mw_disagree += c->significant != c->mw_significant;
        if (c->significant) {
            vd->sig[vd->nsig++] = v;
            if ((c->gap.diff > 0) == higher_better)
                vd->better[vd->nb++] = v;
            else
                vd->worse[vd->nw++] = v;
        } else {
            vd->same[vd->ns++] = v;
            vd->nonsig[vd->nns++] = v;
            vd->ci_lo = fmin(vd->ci_lo, c->gap.lo);
            vd->ci_hi = fmax(vd->ci_hi, c->gap.hi);
        }
    }
}

/* The number of agents per run, when every run of the group had the same. */
static void agents_per_run(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd)
{
    const tdm_rep_dataset *ds = an->ds;
    vd->same_agents = true;
    for (size_t r = 0; r < ds->n_runs; r++) {
        if (ds->variants[ds->dirs[ds->runs[r].dir].variant_idx].legacy != g)
            continue;
        if (vd->agents && vd->agents != ds->runs[r].n_agents)
            vd->same_agents = false;
        vd->agents = ds->runs[r].n_agents;
    }
}

/* Within single configurations: how many pairs differ, by how much at most, and how the
 * significant ones stand against the margin. */
static void count_configs(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd)
{
    for (size_t i = 0; i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != vd->metric || an->ds->variants[c->a].legacy != g)
            continue;
        vd->cfg_total++;
        if (!c->significant)
            continue;
        vd->cfg_sig++;
        vd->cfg_max = fmax(vd->cfg_max, fabs(c->gap.diff));
        vd->cfg_within += c->equiv == TDM_REP_EQ_WITHIN;
        vd->cfg_beyond += c->equiv == TDM_REP_EQ_BEYOND;
        vd->cfg_maybe += c->equiv == TDM_REP_EQ_MAYBE_BEYOND;
    }
}

/* The better variant with the largest gain; the first wins ties. */
static void pick_best(tdm_rep_verdict *vd)
{
    vd->best = vd->nb ? vd->better[0] : -1;
    for (size_t j = 1; j < vd->nb; j++)
        if (fabs(vd->cmp[vd->better[j]]->gap.diff) > fabs(vd->cmp[vd->best]->gap.diff))
            vd->best = vd->better[j];
}

/* Whether v was significantly better / worse than the reference in some configuration,
 * raising the largest such differences. */
static void config_sides(const tdm_rep_analysis *an, tdm_rep_verdict *vd, int v, bool *better, bool *worse)
{
    bool higher_better = tdm_rep_metric(vd->metric)->higher_is_better;
    *better = *worse = false;
    for (size_t i = 0; v != vd->ref && i < an->n_cmp; i++) {
        const tdm_rep_comparison *c = &an->cmp[i];
        if (c->scope != TDM_REP_SCOPE_CONFIG || c->metric != vd->metric || c->a != v || c->b != vd->ref ||
            !c->significant)
            continue;
        if ((c->gap.diff > 0) == higher_better) {
            *better = true;
            vd->higher_max = fmax(vd->higher_max, fabs(c->gap.diff));
        } else {
            *worse = true;
            vd->lower_max = fmax(vd->lower_max, fabs(c->gap.diff));
        }
    }
}

/* When none is better pooled: the reference and every variant never significantly worse
 * than it, pooled or within a configuration, are the candidates. */
static void candidates(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    for (size_t k = 0; k < vd->ns; k++) {
        int v = vd->same[k];
        bool better, worse;
        config_sides(an, vd, v, &better, &worse);
        if (worse)
            vd->lower[vd->nl++] = v;
        else
            vd->cand[vd->nc++] = v;
        if (better && !worse)
            vd->higher[vd->nh++] = v;
    }
}

/* Legacy efficiency at 100/N: the agents of that variant did not overlap at all. */
static void find_serial(const tdm_rep_analysis *an, tdm_rep_verdict *vd)
{
    const tdm_rep_dataset *ds = an->ds;
    for (int i = 0; i < vd->n; i++) {
        const tdm_rep_sample *s = &an->variants[vd->vs[i]].pooled.m[vd->metric][0];
        size_t na = 0;
        for (size_t r = 0; r < ds->n_runs && !na; r++)
            if (ds->dirs[ds->runs[r].dir].variant_idx == vd->vs[i])
                na = ds->runs[r].n_agents;
        if (na > 1 && s->desc.n > 0 && s->desc.max <= 100.0 / (double)na + 0.1) {
            vd->serial_agents[vd->nserial] = na;
            vd->serial[vd->nserial++] = vd->vs[i];
        }
    }
}

int tdm_rep_verdict_decide(const tdm_rep_analysis *an, int g, tdm_rep_verdict *vd)
{
    memset(vd, 0, sizeof *vd);
    vd->metric = an->primary[g];
    vd->ref = vd->best = -1;
    vd->ci_lo = INFINITY;
    vd->ci_hi = -INFINITY;
    if (alloc_lists(an->ds->n_variants, an->n_cmp, vd) < 0)
        return -1;
    collect_group(an, g, vd);
    if (vd->n == 0 || vd->metric < 0)
        return 0;
    vd->ref_pooled = &an->variants[vd->ref].pooled.m[vd->metric][0];
    find_range(an, vd);
    classify(an, vd);
    agents_per_run(an, g, vd);
    count_configs(an, g, vd);
    pick_best(vd);
    if (vd->nb == 0) {
        candidates(an, vd);
        tdm_rep_verdict_settle(an, vd);
    }
    tdm_rep_verdict_beyond(an, g, vd);
    if (vd->metric == TDM_M_LEGACY_EFFICIENCY) {
        find_serial(an, vd);
        tdm_rep_verdict_serial_baseline(an, vd);
    }
    return 0;
}

void tdm_rep_verdict_free(tdm_rep_verdict *vd)
{
    free(vd->vs); /* the block every list is a slice of */
    free(vd->cmp);
    free(vd->serial_agents);
    free(vd->runs_needed);
    free(vd->gains);
    free(vd->beyond);
    memset(vd, 0, sizeof *vd);
}
