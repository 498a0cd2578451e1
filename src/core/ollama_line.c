/* ollama_line.c — a parsed response line's empty state (see ollama_proto.h). A leaf of its
 * own because both parse paths start from it: the jansson path in ollama_proto.c and the
 * tree-free one in ollama_fastline.c, which hands lines it declines back to the former;
 * here neither calls back into the other. */
#include "core/ollama_proto.h"

#include <stdlib.h>
#include <string.h>

void tdm_server_counters_init(tdm_server_counters *c)
{
    c->total_duration_ns = -1;
    c->load_duration_ns = -1;
    c->prompt_eval_count = -1;
    c->prompt_eval_duration_ns = -1;
    c->eval_count = -1;
    c->eval_duration_ns = -1;
}

void tdm_ollama_line_clear(tdm_ollama_line *l)
{
    free(l->content);
    free(l->thinking);
    free(l->error);
    memset(l, 0, sizeof *l);
    tdm_server_counters_init(&l->counters);
}
