/* emitlog.c — the buffered emission log (see emitlog.h). */
#include "sim/emitlog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sim/wire.h"

int tdm_sim_emitlog_open(tdm_sim_emitlog *l, const char *path)
{
    l->buf = (tdm_buf){0};
    l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return l->fd < 0 ? -1 : 0;
}

void tdm_sim_emitlog_none(tdm_sim_emitlog *l)
{
    l->buf = (tdm_buf){0};
    l->fd = -1;
}

void tdm_sim_emitlog_token(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                           int64_t i, int64_t t_ns, int64_t due_ns)
{
    if (l->fd < 0)
        return;
    tdm_buf_printf(&l->buf,
                   "{\"port\":%d,\"conn\":%llu,\"req\":%llu,\"i\":%lld,\"t_ns\":%lld,\"due_ns\":%lld}\n",
                   port, (unsigned long long)conn, (unsigned long long)req, (long long)i,
                   (long long)t_ns, (long long)due_ns);
}

void tdm_sim_emitlog_start(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                           int64_t t_ns, const char *method, const char *path)
{
    if (l->fd < 0)
        return;
    tdm_buf_printf(&l->buf, "{\"port\":%d,\"conn\":%llu,\"req\":%llu,\"ev\":\"start\",\"t_ns\":%lld,\"method\":",
                   port, (unsigned long long)conn, (unsigned long long)req, (long long)t_ns);
    tdm_sim_json_str(&l->buf, method, strlen(method));
    tdm_buf_append_str(&l->buf, ",\"path\":");
    tdm_sim_json_str(&l->buf, path, strlen(path));
    tdm_buf_append_str(&l->buf, "}\n");
}

void tdm_sim_emitlog_end(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                         int64_t t_ns, int status, int64_t tokens, const char *reason)
{
    if (l->fd < 0)
        return;
    tdm_buf_printf(&l->buf,
                   "{\"port\":%d,\"conn\":%llu,\"req\":%llu,\"ev\":\"end\",\"t_ns\":%lld,\"status\":%d,\"tokens\":%lld,\"reason\":\"%s\"}\n",
                   port, (unsigned long long)conn, (unsigned long long)req, (long long)t_ns,
                   status, (long long)tokens, reason);
}

void tdm_sim_emitlog_queued(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                            int64_t t_ns, int64_t due_ns, size_t ahead)
{
    if (l->fd < 0)
        return;
    tdm_buf_printf(&l->buf,
                   "{\"port\":%d,\"conn\":%llu,\"req\":%llu,\"ev\":\"queued\",\"t_ns\":%lld,\"due_ns\":%lld,\"ahead\":%zu}\n",
                   port, (unsigned long long)conn, (unsigned long long)req, (long long)t_ns,
                   (long long)due_ns, ahead);
}

void tdm_sim_emitlog_slot(tdm_sim_emitlog *l, int port, uint64_t conn, uint64_t req,
                          int64_t t_ns, int64_t due_ns, int64_t wait_ns)
{
    if (l->fd < 0)
        return;
    tdm_buf_printf(&l->buf,
                   "{\"port\":%d,\"conn\":%llu,\"req\":%llu,\"ev\":\"slot\",\"t_ns\":%lld,\"due_ns\":%lld,\"wait_ns\":%lld}\n",
                   port, (unsigned long long)conn, (unsigned long long)req, (long long)t_ns,
                   (long long)due_ns, (long long)wait_ns);
}

size_t tdm_sim_emitlog_pending(const tdm_sim_emitlog *l)
{
    return l->buf.len;
}

int tdm_sim_emitlog_flush(tdm_sim_emitlog *l)
{
    size_t off = 0;
    while (l->fd >= 0 && off < l->buf.len) {
        ssize_t n = write(l->fd, l->buf.data + off, l->buf.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(l->fd);
            l->fd = -1;
            tdm_buf_free(&l->buf);
            return -1;
        }
        off += (size_t)n;
    }
    tdm_buf_reset(&l->buf);
    return 0;
}

void tdm_sim_emitlog_close(tdm_sim_emitlog *l)
{
    tdm_sim_emitlog_flush(l);
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    tdm_buf_free(&l->buf);
}
