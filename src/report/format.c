/* format.c — numbers and text from results as people read them in the report (see
 * format.h). A leaf: the verdict, the Markdown writers and the analysis's sentences
 * call it, and it calls nothing of theirs. */
#include "report/format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/summary_text.h"

const char *tdm_rep_fmt(char *buf, size_t len, double v, int decimals)
{
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
    } else if (isinf(v)) {
        snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
    } else {
        snprintf(buf, len, "%.*f", decimals, v);
        /* a value that rounds to zero prints as 0, never as -0.00 */
        if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
            memmove(buf, buf + 1, strlen(buf));
    }
    return buf;
}

const char *tdm_rep_fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "n/a");
    else if (p < 0.0001)
        snprintf(buf, len, "<0.0001");
    else
        snprintf(buf, len, "%.4f", p);
    return buf;
}

void tdm_rep_md_text(tdm_buf *b, const char *s)
{
    if (!s)
        return;
    tdm_buf clean = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '&')
            tdm_buf_append_str(&clean, "&amp;");
        else if (*p < 0x20 || *p == 0x7f)
            tdm_buf_append_str(&clean, " ");
        else
            tdm_buf_append(&clean, p, 1);
    }
    tdm_md_escape(b, tdm_buf_str(&clean));
    tdm_buf_free(&clean);
}
