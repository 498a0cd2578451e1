/* record.c — the raw per-call record (see record.h). */
#include "core/record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = {"warmup", "sequential", "concurrent"};

const char *tdm_phase_name(tdm_phase p)
{
    return (unsigned)p < 3 ? phase_names[p] : "?";
}

int tdm_phase_from_name(const char *name, tdm_phase *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, phase_names[i]) == 0) {
            *out = (tdm_phase)i;
            return 0;
        }
    return -1;
}

static const char *const error_names[TDM_ERR_KIND_COUNT] = {
    [TDM_ERR_NONE] = "none",
    [TDM_ERR_CONNECT] = "connect",
    [TDM_ERR_HTTP_STATUS] = "http_status",
    [TDM_ERR_MODEL_NOT_FOUND] = "model_not_found",
    [TDM_ERR_SERVER] = "server_error",
    [TDM_ERR_PROTOCOL] = "protocol",
    [TDM_ERR_LINE_TOO_LONG] = "line_too_long",
    [TDM_ERR_DISCONNECTED] = "disconnected",
    [TDM_ERR_TIMEOUT_CONNECT] = "timeout_connect",
    [TDM_ERR_TIMEOUT_FIRST_BYTE] = "timeout_first_byte",
    [TDM_ERR_TIMEOUT_IDLE] = "timeout_idle",
    [TDM_ERR_TIMEOUT_TOTAL] = "timeout_total",
    [TDM_ERR_SKIPPED] = "skipped",
    [TDM_ERR_INTERNAL] = "internal",
};

const char *tdm_error_kind_name(tdm_error_kind k)
{
    return (unsigned)k < TDM_ERR_KIND_COUNT ? error_names[k] : "?";
}

int tdm_error_kind_from_name(const char *name, tdm_error_kind *out)
{
    for (int i = 0; i < TDM_ERR_KIND_COUNT; i++)
        if (strcmp(name, error_names[i]) == 0) {
            *out = (tdm_error_kind)i;
            return 0;
        }
    return -1;
}

void tdm_record_init(tdm_call_record *r, int run, tdm_phase phase, int agent, int step)
{
    memset(r, 0, sizeof *r);
    r->run = run;
    r->phase = phase;
    r->agent = agent;
    r->step = step;
    tdm_server_counters_init(&r->server);
}

void tdm_record_free(tdm_call_record *r)
{
    free(r->events);
    tdm_buf_free(&r->text);
    free(r->error_message);
    free(r->request_url);
    free(r->prompt_sent);
    r->prompt_sent = NULL;
    free(r->after);
    r->after = NULL;
    r->n_after = 0;
    free(r->first_error);
    r->events = NULL;
    r->first_error = NULL;
    r->error_message = NULL;
    r->request_url = NULL;
    r->n_events = r->cap_events = 0;
}

int tdm_record_add_event(tdm_call_record *r, int64_t t_ns, uint32_t content_bytes, uint32_t thinking_bytes)
{
    if (r->n_events == r->cap_events) {
        size_t cap = r->cap_events ? r->cap_events * 2 : 256;
        tdm_token_event *p = realloc(r->events, cap * sizeof *p);
        if (!p)
            return -1;
        r->events = p;
        r->cap_events = cap;
    }
    r->events[r->n_events++] = (tdm_token_event){t_ns, content_bytes, thinking_bytes};
    return 0;
}

void tdm_record_fail(tdm_call_record *r, tdm_error_kind kind, int64_t now, const char *fmt, ...)
{
    if (r->error_kind != TDM_ERR_NONE)
        return;
    r->ok = false;
    r->error_kind = kind;
    if (r->t_done == 0)
        r->t_done = now;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->error_message = strdup(msg);
}
