/* check_problems.c — the list of problems `tandem-report check` prints (see check.h),
 * and how a JSON value is named in them. A leaf: it calls nothing else of the report. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "report/check.h"

void tdm_rep_problems_free(tdm_rep_problems *p)
{
    tdm_buf_free(&p->text);
    p->n = 0;
}

void tdm_rep_problem(tdm_rep_problems *p, const char *fmt, ...)
{
    size_t limit = p->limit ? p->limit : TDM_REP_CHECK_LIMIT;
    if (p->n++ >= limit)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    tdm_buf_printf(&p->text, "%s\n", line);
}

const char *tdm_rep_problems_text(tdm_rep_problems *p)
{
    size_t limit = p->limit ? p->limit : TDM_REP_CHECK_LIMIT;
    if (p->n > limit) {
        tdm_buf_printf(&p->text, "... and %zu more problem(s) not shown\n", p->n - limit);
        p->limit = p->n; /* said once */
    }
    return tdm_buf_str(&p->text);
}

const char *tdm_rep_json_describe(json_t *v, char *buf, size_t len)
{
    if (!v)
        snprintf(buf, len, "missing");
    else if (json_is_null(v))
        snprintf(buf, len, "null");
    else if (json_is_integer(v))
        snprintf(buf, len, "the integer %lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "the number %g", json_real_value(v));
    else if (json_is_string(v))
        snprintf(buf, len, "a string");
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_array(v))
        snprintf(buf, len, "an array");
    else
        snprintf(buf, len, "an object");
    return buf;
}
