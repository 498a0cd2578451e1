/* endpoint_lock.c — one measurement per server on this host (see endpoint_lock.h). */
#include "core/endpoint_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"

#define DEFAULT_DIR "/tmp/tandem-locks"

const char *tdm_endpoint_lock_dir(void)
{
    const char *d = getenv("TANDEM_LOCK_DIR");
    return d && *d ? d : DEFAULT_DIR;
}

int64_t tdm_endpoint_lock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_loopback(const char *h)
{
    return strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
           strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 || strcmp(h, "localhost.localdomain") == 0;
}

int tdm_endpoint_lock_name(const char *url, char *out, size_t len, char *err, size_t errlen)
{
    const char *p = strstr(url, "://");
    bool https = p && (size_t)(p - url) == 5 && strncmp(url, "https", 5) == 0;
    p = p ? p + 3 : url;
    char host[256];
    const char *port = NULL;
    size_t hl;
    if (*p == '[') { /* [v6]:port */
        const char *q = strchr(p, ']');
        if (!q)
            goto bad;
        hl = (size_t)(q - p - 1);
        if (hl == 0 || hl >= sizeof host)
            goto bad;
        memcpy(host, p + 1, hl);
        port = q[1] == ':' ? q + 2 : NULL;
    } else {
        hl = strcspn(p, ":/?#");
        if (hl == 0 || hl >= sizeof host)
            goto bad;
        memcpy(host, p, hl);
        port = p[hl] == ':' ? p + hl + 1 : NULL;
    }
    host[hl] = '\0';
    for (char *h = host; *h; h++)
        if (*h >= 'A' && *h <= 'Z')
            *h = (char)(*h - 'A' + 'a');
    long pn = https ? 443 : 80;
    if (port && *port && *port != '/') {
        char *end;
        pn = strtol(port, &end, 10);
        if (pn <= 0 || pn > 65535 || (*end && *end != '/' && *end != '?' && *end != '#'))
            goto bad;
    }
    const char *name = is_loopback(host) ? "127.0.0.1" : host;
    int n = snprintf(out, len, "%s_%ld.lock", name, pn);
    for (char *c = out; *c; c++)
        if (*c == '/' || *c == ':')
            *c = '-'; /* an IPv6 address in a file name */
    return n > 0 && (size_t)n < len ? 0 : -1;
bad:
    snprintf(err, errlen, "cannot tell the server of '%s' (expected http://HOST:PORT)", url);
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_paths(tdm_endpoint_locks *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->fds);
    l->paths = NULL;
    l->fds = NULL;
    l->n = 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The distinct lock file names of the URLs, sorted (sorting first keeps the dedup linear
 * after n log n, for runs of thousands of agents). Returns 0 with *names (*m of them), or
 * -1 with err. */
static int unique_names(char *const *urls, size_t n, char ***names, size_t *m, char *err, size_t errlen)
{
    char **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        char name[300];
        if (tdm_endpoint_lock_name(urls[i], name, sizeof name, err, errlen) != 0) {
            free_names(v, i);
            return -1;
        }
        if (!(v[i] = strdup(name))) {
            free_names(v, i);
            goto oom;
        }
    }
    qsort(v, n, sizeof *v, by_name);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(v[k - 1], v[i]) == 0)
            free(v[i]);
        else
            v[k++] = v[i];
    }
    *names = v;
    *m = k;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

size_t tdm_endpoint_lock_count(char *const *urls, size_t n)
{
    char **names = NULL, err[512];
    size_t m = n;
    if (unique_names(urls, n, &names, &m, err, sizeof err) != 0)
        return n;
    free_names(names, m);
    return m;
}

/* The distinct lock files of the URLs, sorted: every cell takes them in one order, so
 * two cells that share some servers cannot each hold one the other waits for. */
static int plan(tdm_endpoint_locks *l, char *const *urls, size_t n, char *err, size_t errlen)
{
    const char *dir = tdm_endpoint_lock_dir();
    if (mkdir(dir, 01777) == 0)
        chmod(dir, 01777); /* past the umask: every user of the host shares the folder */
    else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create the lock folder %s: %s (set TANDEM_LOCK_DIR to a writable folder)", dir,
                 strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t m = 0;
    if (unique_names(urls, n, &names, &m, err, errlen) != 0)
        return -1;
    l->paths = calloc(m ? m : 1, sizeof *l->paths);
    l->fds = malloc((m ? m : 1) * sizeof *l->fds);
    if (!l->paths || !l->fds)
        goto oom;
    for (size_t i = 0; i < m; i++) {
        char *path = tdm_path_join(dir, names[i]);
        if (!path)
            goto oom;
        l->fds[l->n] = -1;
        l->paths[l->n++] = path;
    }
    free_names(names, m);
    return 0;
oom:
    free_names(names, m);
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Closes what a failed try took, leaving each file's text (the last real release) as it was. */
static void drop(tdm_endpoint_locks *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->fds[i] >= 0)
            close(l->fds[i]);
    free_paths(l);
}

static json_t *read_doc(int fd)
{
    char buf[4096];
    ssize_t k = pread(fd, buf, sizeof buf - 1, 0);
    if (k <= 0)
        return NULL;
    buf[k] = '\0';
    return json_loads(buf, 0, NULL);
}

static void write_doc(int fd, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    if (!s)
        return;
    /* Best effort: the lock is the flock; the text only tells people about it, so a
     * failed write loses a message, never the lock. */
    size_t len = strlen(s);
    bool written = ftruncate(fd, 0) == 0 && pwrite(fd, s, len, 0) == (ssize_t)len &&
                   pwrite(fd, "\n", 1, (off_t)len) == 1;
    (void)written;
    free(s);
}

static void utc_now(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Who holds the lock of a busy file, from what it wrote there. */
static void describe_holder(int fd, const char *path, char *out, size_t len)
{
    json_t *d = read_doc(fd);
    const char *what = json_string_value(json_object_get(d, "what"));
    const char *since = json_string_value(json_object_get(d, "since"));
    json_int_t pid = json_integer_value(json_object_get(d, "pid"));
    if (what && since)
        snprintf(out, len, "%s: pid %lld, %s, since %s", path, (long long)pid, what, since);
    else
        snprintf(out, len, "%s: held by a process that did not say what it measures", path);
    json_decref(d);
}

int tdm_endpoint_locks_try(tdm_endpoint_locks *l, char *const *urls, size_t n, const char *what, char *holder,
                           size_t holderlen, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    if (plan(l, urls, n, err, errlen) != 0) {
        free_paths(l);
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        int fd = open(l->paths[i], O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open the lock file %s: %s (set TANDEM_LOCK_DIR to a writable folder)",
                     l->paths[i], strerror(errno));
            goto let_go;
        }
        fchmod(fd, 0666); /* another user's cell must be able to lock it too; fails harmlessly if not ours */
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            if (e == EWOULDBLOCK) {
                describe_holder(fd, l->paths[i], holder, holderlen);
                close(fd);
                drop(l);
                return 1;
            }
            snprintf(err, errlen, "cannot lock %s: %s", l->paths[i], strerror(e));
            close(fd);
            goto let_go;
        }
        l->fds[i] = fd;
    }
    char since[32];
    utc_now(since, sizeof since);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    for (size_t i = 0; i < l->n; i++) {
        json_t *prev = read_doc(l->fds[i]);
        json_int_t rel = json_integer_value(json_object_get(prev, "released_boot_ns"));
        if (rel > l->last_release_ns)
            l->last_release_ns = rel;
        json_decref(prev);
        json_t *doc = json_pack("{s:I, s:s, s:s, s:s}", "pid", (json_int_t)getpid(), "host", host, "what",
                                what ? what : "", "since", since);
        if (doc)
            write_doc(l->fds[i], doc);
        json_decref(doc);
    }
    return 0;
let_go:
    drop(l);
    return -1;
}

/* How often a waiting measurement tries again: short beside any run, long beside a lock's cost. */
#define RETRY_MS 250

int tdm_endpoint_locks_take(tdm_endpoint_locks *l, char *const *urls, size_t n, const char *what,
                            const tdm_lock_wait *w, char *holder, size_t holderlen, char *err, size_t errlen)
{
    int64_t t0 = tdm_endpoint_lock_now_ns();
    char first[sizeof l->waited_for] = "";
    for (bool said = false;; said = true) {
        int rc = tdm_endpoint_locks_try(l, urls, n, what, holder, holderlen, err, errlen);
        if (rc < 0)
            return TDM_LOCKS_ERROR;
        if (rc == 0) {
            /* try starts from a blank set, so what the waiting saw is kept aside until now */
            l->taken_ns = tdm_endpoint_lock_now_ns();
            l->waited_ns = said ? l->taken_ns - t0 : 0;
            snprintf(l->waited_for, sizeof l->waited_for, "%s", first);
            return TDM_LOCKS_HELD;
        }
        if (w->no_wait)
            return TDM_LOCKS_BUSY;
        if (!said) {
            snprintf(first, sizeof first, "%s", holder);
            if (w->waiting)
                w->waiting(holder, w->ctx);
        }
        if (w->pause_ms(RETRY_MS) != 0)
            return TDM_LOCKS_INTERRUPTED;
    }
}

json_t *tdm_endpoint_locks_json(const tdm_endpoint_locks *l, const char *taken_by)
{
    json_t *files = json_array();
    for (size_t i = 0; files && l->paths && i < l->n; i++) {
        const char *slash = strrchr(l->paths[i], '/');
        json_array_append_new(files, json_string(slash ? slash + 1 : l->paths[i]));
    }
    json_t *idle = l->last_release_ns > 0 && l->taken_ns >= l->last_release_ns
                       ? json_real((double)(l->taken_ns - l->last_release_ns) / 1e9)
                       : json_null();
    return json_pack("{s:s, s:s, s:o, s:f, s:o, s:o}", "taken_by", taken_by ? taken_by : "", "folder",
                     tdm_endpoint_lock_dir(), "files", files, "waited_s", (double)l->waited_ns / 1e9, "waited_for",
                     l->waited_for[0] ? json_string(l->waited_for) : json_null(), "idle_before_s", idle);
}

void tdm_endpoint_locks_release(tdm_endpoint_locks *l)
{
    char when[32];
    utc_now(when, sizeof when);
    for (size_t i = 0; i < l->n; i++) {
        if (l->fds[i] < 0)
            continue;
        json_t *doc = json_pack("{s:I, s:s, s:I}", "released_boot_ns", (json_int_t)tdm_endpoint_lock_now_ns(),
                                "released", when, "by_pid", (json_int_t)getpid());
        if (doc)
            write_doc(l->fds[i], doc);
        json_decref(doc);
        close(l->fds[i]); /* drops the flock */
        l->fds[i] = -1;
    }
    free_paths(l);
}
