/* genwire.c — a generation answer's bytes per API (see genwire.h). */
#include "sim/genwire.h"

#include <string.h>
#include <time.h>

#include "sim/openai.h"

#define NDJSON "application/x-ndjson"
#define GIN_JSON "application/json; charset=utf-8" /* gin's c.JSON */
#define SSE "text/event-stream"
#define OAI_JSON "application/json"                /* set by openai.go's writers */

const char *tdm_sim_genwire_stream_type(int api)
{
    return api == TDM_SIM_API_OPENAI ? SSE : NDJSON;
}

const char *tdm_sim_genwire_json_type(int api)
{
    return api == TDM_SIM_API_OPENAI ? OAI_JSON : GIN_JSON;
}

static int64_t unix_now(void)
{
    return (int64_t)time(NULL);
}

/* "data: " + what f appends + "\n\n". */
static int event_open(tdm_buf *b)
{
    return tdm_buf_append_str(b, "data: ");
}

static int event_close(tdm_buf *b)
{
    return tdm_buf_append_str(b, "\n\n");
}

static int native_line(tdm_buf *b, const tdm_sim_genreq *rq, const char *text, size_t len,
                       const tdm_sim_genend *e)
{
    char created[48];
    tdm_sim_wall_now(created, sizeof created);
    tdm_sim_line l = {.chat = rq->chat, .model = rq->model, .created_at = created,
                      .text = text, .text_len = len};
    if (e) {
        l.done = true;
        l.done_reason = e->done_reason;
        l.counters = e->counters;
        l.context = e->context;
        l.n_context = e->n_context;
    }
    int r = tdm_sim_wire_line(b, &l);
    return r || (e && e->whole) ? r : tdm_buf_append_str(b, "\n");
}

int tdm_sim_genwire_token(tdm_buf *b, const tdm_sim_genreq *rq, int id, const char *text,
                          size_t len)
{
    if (rq->api != TDM_SIM_API_OPENAI)
        return native_line(b, rq, text, len, NULL);
    int r = event_open(b);
    r = r ? r : tdm_sim_oai_chunk(b, id, unix_now(), rq->model, text, len, NULL);
    return r ? r : event_close(b);
}

int tdm_sim_genwire_end(tdm_buf *b, const tdm_sim_genreq *rq, int id, const tdm_sim_genend *e)
{
    if (rq->api != TDM_SIM_API_OPENAI)
        return native_line(b, rq, e->whole ? e->text : "", e->whole ? e->text_len : 0, e);
    int64_t prompt = e->counters ? e->counters->prompt_eval_count : 0;
    int64_t completion = e->counters ? e->counters->eval_count : 0;
    int64_t now = unix_now();
    if (e->whole)
        return tdm_sim_oai_completion(b, id, now, rq->model, e->text, e->text_len,
                                      e->done_reason, prompt, completion);
    /* ChatWriter writes these three in one Write of the final line: one HTTP chunk. The
     * usage chunk is the finish chunk re-sent with choices emptied (same created). */
    int r = event_open(b);
    r = r ? r : tdm_sim_oai_chunk(b, id, now, rq->model, "", 0, e->done_reason);
    r = r ? r : event_close(b);
    if (rq->include_usage) {
        r = r ? r : event_open(b);
        r = r ? r : tdm_sim_oai_usage_chunk(b, id, now, rq->model, prompt, completion);
        r = r ? r : event_close(b);
    }
    return r ? r : tdm_buf_append_str(b, "data: [DONE]\n\n");
}

int tdm_sim_genwire_failure(tdm_buf *b, const tdm_sim_genreq *rq, int id, const char *msg,
                            bool event)
{
    if (rq->api != TDM_SIM_API_OPENAI) {
        int r = tdm_sim_wire_error(b, msg);
        return r || !rq->stream ? r : tdm_buf_append_str(b, "\n");
    }
    if (!rq->stream)
        return tdm_sim_genwire_error(b, rq->api, msg);
    int r = event_open(b);
    if (event)
        r = r ? r : tdm_sim_oai_error(b, "api_error", msg);
    else /* {"error":...} decoded as an api.ChatResponse: every field empty */
        r = r ? r : tdm_sim_oai_chunk(b, id, unix_now(), "", "", 0, NULL);
    return r ? r : event_close(b);
}

int tdm_sim_genwire_error(tdm_buf *b, int api, const char *msg)
{
    if (api != TDM_SIM_API_OPENAI)
        return tdm_sim_wire_error(b, msg);
    /* writeError always builds NewError(500, ...): type api_error whatever the status. */
    int r = tdm_sim_oai_error(b, "api_error", msg);
    return r ? r : tdm_buf_append_str(b, "\n");
}

int tdm_sim_genwire_malformed(tdm_buf *b, const tdm_sim_genreq *rq, int id)
{
    if (rq->api != TDM_SIM_API_OPENAI)
        return tdm_buf_printf(b, "{\"model\":\"simulated\",\"created_at\":\"2025-01-01T00:00:00Z\","
                                 "\"response\":\"oops%s", rq->stream ? "\n" : "");
    const char *object = rq->stream ? "chat.completion.chunk" : "chat.completion";
    const char *field = rq->stream ? "delta" : "message";
    return tdm_buf_printf(b, "%s{\"id\":\"chatcmpl-%d\",\"object\":\"%s\",\"created\":1735689600,"
                             "\"model\":\"simulated\",\"system_fingerprint\":\"fp_ollama\","
                             "\"choices\":[{\"index\":0,\"%s\":{\"role\":\"assistant\","
                             "\"content\":\"oops%s",
                          rq->stream ? "data: " : "", id, object, field,
                          rq->stream ? "\n\n" : "");
}
