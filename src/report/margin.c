/* margin.c — equivalence margins: the default margin of each metric, the --margin
 * KEY=VALUE option that changes one, and how a margin and a comparison's equivalence
 * verdict read in the report. A margin says how large a difference must be to matter;
 * the statistics (TOST, stats_equiv.c) only say whether the data show it smaller. */
#include "report/analysis.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tdm_rep_margins_default(tdm_rep_margin m[TDM_M_COUNT])
{
    memset(m, 0, TDM_M_COUNT * sizeof *m);
    /* One percentage point of efficiency is about the smallest gain worth choosing a
     * runtime for; 0.02 of speedup is the same 1 pp for two agents. */
    m[TDM_M_EFFICIENCY].value = 1.0;
    m[TDM_M_LEGACY_EFFICIENCY].value = 1.0;
    m[TDM_M_SPEEDUP].value = 0.02;
    m[TDM_M_THROUGHPUT_GAIN].value = 0.02;
    /* Per call: a few milliseconds are below what a person or an agent loop notices. */
    m[TDM_M_TTFT].value = 5.0;
    m[TDM_M_ITL_P50].value = 1.0;
    m[TDM_M_CLIENT_GAP].value = 5.0;
    /* Decode rates differ by model and GPU by orders of magnitude, so no absolute margin
     * fits them all; 2% of the rate compared against does. */
    m[TDM_M_DECODE_TPS].value = 2.0;
    m[TDM_M_DECODE_TPS].relative = true;
    /* T_seq, T_conc and the client's CPU per token: no default. Their scale depends on
     * the scenario (prompt and output length), so any fixed margin would be arbitrary;
     * --margin t_conc_s=2% sets a relative one. */
}

static bool is_percent_metric(int metric)
{
    return strcmp(tdm_rep_metric(metric)->unit, "%") == 0;
}

static void metric_keys(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int m = 0; m < TDM_M_COUNT && used < len; m++) {
        int k = snprintf(buf + used, len - used, "%s%s", m ? ", " : "", tdm_rep_metric(m)->key);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* The unit written after a margin's number: "pp" for percentages, else the metric's. */
static const char *margin_unit(int metric)
{
    return is_percent_metric(metric) ? "pp" : tdm_rep_metric(metric)->unit;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int tdm_rep_margin_parse(const char *spec, tdm_rep_margin m[TDM_M_COUNT], char *err, size_t errlen)
{
    char buf[256];
    if (!spec || strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "--margin: write KEY=VALUE, e.g. --margin efficiency_pct=0.5");
        return -1;
    }
    strcpy(buf, spec);
    char *eq = strchr(buf, '=');
    if (!eq) {
        snprintf(err, errlen, "--margin '%s': write KEY=VALUE, e.g. --margin efficiency_pct=0.5 (or KEY=none)", spec);
        return -1;
    }
    *eq = '\0';
    char *key = trim(buf), *val = trim(eq + 1);
    int metric = tdm_rep_metric_find(key);
    if (metric < 0) {
        char keys[512];
        metric_keys(keys, sizeof keys);
        snprintf(err, errlen, "--margin '%s': '%s' is not a metric; use one of %s", spec, key, keys);
        return -1;
    }
    const char *unit = margin_unit(metric);
    if (strcmp(val, "none") == 0) {
        m[metric].value = 0.0;
        m[metric].relative = false;
        return 0;
    }
    errno = 0;
    char *end;
    double v = strtod(val, &end);
    bool relative = false;
    if (end == val || errno) {
        snprintf(err, errlen, "--margin '%s': the value must be a positive number in %s's unit%s%s%s, N%% for a "
                              "percentage of the compared-with mean, or none (e.g. --margin %s=%s)",
                 spec, key, *unit ? " (" : "", unit, *unit ? ")" : "", key, is_percent_metric(metric) ? "0.5" : "2%");
        return -1;
    }
    char *suffix = trim(end);
    if (strcmp(suffix, "%") == 0) {
        if (is_percent_metric(metric)) {
            /* "0.5%" of an efficiency would be ambiguous (points or a fraction of the
             * mean?), so percentages take their margin in points only. */
            snprintf(err, errlen, "--margin '%s': %s is itself a percentage, so its margin is in percentage "
                                  "points; write %s=%.15g",
                     spec, key, key, v);
            return -1;
        }
        relative = true;
    } else if (*suffix && strcmp(suffix, unit) != 0) {
        char in[64];
        snprintf(in, sizeof in, "%s%s", is_percent_metric(metric) ? "is in percentage points" : *unit ? "is in " : "has no unit",
                 is_percent_metric(metric) ? "" : unit);
        if (is_percent_metric(metric))
            snprintf(err, errlen, "--margin '%s': unexpected '%s' after the number; %s %s: write %s=%.15g", spec,
                     suffix, key, in, key, v);
        else
            snprintf(err, errlen, "--margin '%s': unexpected '%s' after the number; %s %s: write %s=%.15g, or "
                                  "%s=2%% for a percentage of the compared-with mean",
                     spec, suffix, key, in, key, v, key);
        return -1;
    }
    if (!(isfinite(v) && v > 0.0) || (relative && v >= 100.0)) {
        snprintf(err, errlen, "--margin '%s': the margin must be a positive number%s (or none to make no "
                              "equivalence judgement for %s)",
                 spec, relative ? " below 100%" : "", key);
        return -1;
    }
    m[metric].value = v;
    m[metric].relative = relative;
    return 0;
}

const char *tdm_rep_margin_text(char *buf, size_t len, int metric, const tdm_rep_margin *m)
{
    if (!(m->value > 0.0)) {
        snprintf(buf, len, "%s", "");
        return buf;
    }
    const char *unit = margin_unit(metric);
    if (m->relative)
        snprintf(buf, len, "±%g%%", m->value);
    else
        snprintf(buf, len, "±%g%s%s", m->value, *unit ? " " : "", unit);
    return buf;
}

const char *tdm_rep_margins_list(char *buf, size_t len, const tdm_rep_margin m[TDM_M_COUNT])
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < TDM_M_COUNT && used < len; i++) {
        if (!(m[i].value > 0.0))
            continue;
        int k = snprintf(buf + used, len - used, "%s%s=%g%s", used ? ", " : "", tdm_rep_metric(i)->key, m[i].value,
                         m[i].relative ? "%" : "");
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (used == 0)
        snprintf(buf, len, "none");
    return buf;
}

const char *tdm_rep_equiv_key(tdm_rep_equiv_verdict v)
{
    switch (v) {
    case TDM_REP_EQ_UNTESTABLE:
        return "not_testable";
    case TDM_REP_EQ_EQUIVALENT:
        return "equivalent";
    case TDM_REP_EQ_WITHIN:
        return "different_within_margin";
    case TDM_REP_EQ_BEYOND:
        return "different_beyond_margin";
    case TDM_REP_EQ_MAYBE_BEYOND:
        return "different_possibly_beyond_margin";
    case TDM_REP_EQ_INCONCLUSIVE:
        return "inconclusive";
    default:
        return NULL;
    }
}

const char *tdm_rep_equiv_text(char *buf, size_t len, const tdm_rep_analysis *an, const tdm_rep_comparison *c)
{
    char mt[64];
    tdm_rep_margin_text(mt, sizeof mt, c->metric, &an->settings.margin[c->metric]);
    switch (c->equiv) {
    case TDM_REP_EQ_UNTESTABLE:
        snprintf(buf, len, "not testable at %s", mt);
        break;
    case TDM_REP_EQ_EQUIVALENT:
        snprintf(buf, len, "equivalent within %s", mt);
        break;
    case TDM_REP_EQ_WITHIN:
        snprintf(buf, len, "different, but within %s", mt);
        break;
    case TDM_REP_EQ_BEYOND:
        snprintf(buf, len, "different by more than %s", mt);
        break;
    case TDM_REP_EQ_MAYBE_BEYOND:
        snprintf(buf, len, "different, possibly by more than %s", mt);
        break;
    case TDM_REP_EQ_INCONCLUSIVE:
        snprintf(buf, len, "inconclusive at %s", mt);
        break;
    default:
        snprintf(buf, len, "no margin set");
        break;
    }
    return buf;
}
