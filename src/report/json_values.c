/* json_values.c — the values analysis.json is made of, shared by its writers
 * (write_json.c, write_json_workflows.c): numbers that are undefined written as null,
 * strings from result files cleaned to valid UTF-8, a mean with its CI. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "report/output.h"

json_t *tdm_rep_json_num(double v)
{
    return isfinite(v) ? json_real(v == 0.0 ? 0.0 : v) : json_null();
}

json_t *tdm_rep_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    /* a name from results that is not valid UTF-8 (jansson would refuse to write it) */
    char *clean = tdm_rep_utf8_clean(s);
    v = json_string(clean ? clean : "");
    free(clean);
    return v ? v : json_null();
}

json_t *tdm_rep_json_curve_value(const tdm_rep_curve_value *v, const char *ci)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:s}", "n", (json_int_t)v->n, "mean", tdm_rep_json_num(v->mean),
                     "sd", tdm_rep_json_num(v->sd), "ci_lo", tdm_rep_json_num(v->lo), "ci_hi",
                     tdm_rep_json_num(v->hi), "ci", ci);
}
