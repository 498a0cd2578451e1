/* wire.c — Ollama-exact JSON for the simulator's responses (see wire.h). */
#include "sim/wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"

static const char HEX[] = "0123456789abcdef";

int tdm_sim_json_str(tdm_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (tdm_buf_append(b, "\"", 1) != 0)
        return -1;
    size_t run = 0; /* bytes copied verbatim, flushed in one append */
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        char esc[8];
        size_t esc_len = 0, adv = 1;
        if (c >= 0x80) {
            uint32_t cp;
            adv = tdm_utf8_decode(p + i, len - i, &cp);
            if (adv == 0) {
                memcpy(esc, "\\ufffd", 6), esc_len = 6, adv = 1;
            } else if (cp == 0x2028 || cp == 0x2029) {
                memcpy(esc, cp == 0x2028 ? "\\u2028" : "\\u2029", 6), esc_len = 6;
            }
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, esc_len = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2), esc_len = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2), esc_len = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2), esc_len = 2;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            memcpy(esc, "\\u00", 4);
            esc[4] = HEX[c >> 4], esc[5] = HEX[c & 15], esc_len = 6;
        }
        if (esc_len) {
            if ((run && tdm_buf_append(b, s + i - run, run) != 0) ||
                tdm_buf_append(b, esc, esc_len) != 0)
                return -1;
            run = 0;
        } else {
            run += adv;
        }
        i += adv;
    }
    if (run && tdm_buf_append(b, s + i - run, run) != 0)
        return -1;
    return tdm_buf_append(b, "\"", 1);
}

void tdm_sim_rfc3339nano(int64_t sec, long nsec, char *out, size_t outlen)
{
    struct tm tm;
    time_t t = (time_t)sec;
    gmtime_r(&t, &tm);
    char frac[16] = "";
    if (nsec > 0 && nsec < 1000000000L) {
        snprintf(frac, sizeof frac, ".%09ld", nsec);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void tdm_sim_wall_now(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tdm_sim_rfc3339nano((int64_t)ts.tv_sec, ts.tv_nsec, out, outlen);
}

static int counter(tdm_buf *b, const char *name, int64_t v)
{
    /* Go's omitempty: a zero counter is not sent at all. */
    return v ? tdm_buf_printf(b, ",\"%s\":%lld", name, (long long)v) : 0;
}

int tdm_sim_wire_line(tdm_buf *b, const tdm_sim_line *l)
{
    int r = tdm_buf_append_str(b, "{\"model\":");
    r = r ? r : tdm_sim_json_str(b, l->model, strlen(l->model));
    r = r ? r : tdm_buf_append_str(b, ",\"created_at\":");
    r = r ? r : tdm_sim_json_str(b, l->created_at, strlen(l->created_at));
    if (l->chat) {
        r = r ? r : tdm_buf_append_str(b, ",\"message\":{\"role\":\"assistant\",\"content\":");
        r = r ? r : tdm_sim_json_str(b, l->text, l->text_len);
        r = r ? r : tdm_buf_append_str(b, "}");
    } else {
        r = r ? r : tdm_buf_append_str(b, ",\"response\":");
        r = r ? r : tdm_sim_json_str(b, l->text, l->text_len);
    }
    /* api.GenerateResponse declares Done before DoneReason; api.ChatResponse declares
     * DoneReason first (Ollama 0.11.4, confirmed on the wire). */
    bool reason = l->done_reason && *l->done_reason;
    if (reason && l->chat) {
        r = r ? r : tdm_buf_append_str(b, ",\"done_reason\":");
        r = r ? r : tdm_sim_json_str(b, l->done_reason, strlen(l->done_reason));
    }
    r = r ? r : tdm_buf_append_str(b, l->done ? ",\"done\":true" : ",\"done\":false");
    if (reason && !l->chat) {
        r = r ? r : tdm_buf_append_str(b, ",\"done_reason\":");
        r = r ? r : tdm_sim_json_str(b, l->done_reason, strlen(l->done_reason));
    }
    if (!l->chat && l->n_context > 0) {
        r = r ? r : tdm_buf_append_str(b, ",\"context\":[");
        for (size_t i = 0; i < l->n_context && !r; i++)
            r = tdm_buf_printf(b, i ? ",%d" : "%d", (int)l->context[i]);
        r = r ? r : tdm_buf_append_str(b, "]");
    }
    if (l->counters) {
        const tdm_sim_counters *c = l->counters;
        r = r ? r : counter(b, "total_duration", c->total_duration);
        r = r ? r : counter(b, "load_duration", c->load_duration);
        r = r ? r : counter(b, "prompt_eval_count", c->prompt_eval_count);
        r = r ? r : counter(b, "prompt_eval_duration", c->prompt_eval_duration);
        r = r ? r : counter(b, "eval_count", c->eval_count);
        r = r ? r : counter(b, "eval_duration", c->eval_duration);
    }
    return r ? r : tdm_buf_append_str(b, "}");
}

int tdm_sim_wire_error(tdm_buf *b, const char *msg)
{
    int r = tdm_buf_append_str(b, "{\"error\":");
    r = r ? r : tdm_sim_json_str(b, msg, strlen(msg));
    return r ? r : tdm_buf_append_str(b, "}");
}
