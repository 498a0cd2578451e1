/* test_core_endpoint_lock.c — the host-wide server locks (src/core/endpoint_lock.c): the
 * lock file names (every loopback spelling is one server), how many files a set of URLs
 * needs, a busy server refused under no_wait with its holder named, and a wait that the
 * provenance's server_lock records (how long, for whom, how idle the server was). Works
 * in a fresh temporary lock folder. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/endpoint_lock.h"
#include "core/fileio.h"

static char root[256];
static char err[1024];

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/tdm-locks-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    return setenv("TANDEM_LOCK_DIR", root, 1);
}

static int remove_root(void **state)
{
    (void)state;
    unsetenv("TANDEM_LOCK_DIR");
    return tdm_rmtree(root, err, sizeof err);
}

static const char *name_of(const char *url)
{
    static char out[300];
    if (tdm_endpoint_lock_name(url, out, sizeof out, err, sizeof err) != 0)
        return NULL;
    return out;
}

static void test_names_fold_loopback_and_default_ports(void **state)
{
    (void)state;
    assert_string_equal(name_of("http://127.0.0.1:11434"), "127.0.0.1_11434.lock");
    assert_string_equal(name_of("http://localhost:11434/"), "127.0.0.1_11434.lock");
    assert_string_equal(name_of("http://LOCALHOST:11434"), "127.0.0.1_11434.lock");
    assert_string_equal(name_of("http://127.0.0.2:11434"), "127.0.0.1_11434.lock");
    assert_string_equal(name_of("http://[::1]:11434"), "127.0.0.1_11434.lock");
    assert_string_equal(name_of("http://gpu-node:8080/v1"), "gpu-node_8080.lock");
    assert_string_equal(name_of("http://gpu-node"), "gpu-node_80.lock");
    assert_string_equal(name_of("https://gpu-node"), "gpu-node_443.lock");
    assert_string_equal(name_of("http://[fe80::1]:9"), "fe80--1_9.lock");
    assert_null(name_of("http://:11434"));
    assert_non_null(strstr(err, "expected http://HOST:PORT"));
    assert_null(name_of("http://host:0"));
    assert_null(name_of("http://host:70000"));
    assert_null(name_of("http://[::1"));
}

static void test_count_is_one_file_per_server(void **state)
{
    (void)state;
    char *urls[] = {"http://localhost:11434", "http://127.0.0.1:11434", "http://127.0.0.1:11435",
                    "http://[::1]:11435",     "http://b:1",             "http://a:1",
                    "http://b:1"};
    assert_int_equal(tdm_endpoint_lock_count(urls, 7), 4);
    assert_int_equal(tdm_endpoint_lock_count(urls, 1), 1);
    assert_int_equal(tdm_endpoint_lock_count(urls, 0), 0);
    char *bad[] = {"http://a:1", "no host at all:x"};
    assert_int_equal(tdm_endpoint_lock_count(bad, 2), 2); /* the upper bound */
}

/* Another holder of one lock file: flock locks belong to the open file, so a second
 * open in this process conflicts with the locks under test like another process would. */
static int hold(const char *name, const char *what)
{
    char *path = tdm_path_join(root, name);
    int fd = open(path, O_RDWR | O_CREAT, 0666);
    free(path);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    char doc[256];
    int n = snprintf(doc, sizeof doc, "{\"pid\": 1, \"what\": \"%s\", \"since\": \"then\"}", what);
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, doc, (size_t)n, 0), n);
    return fd;
}

static int holder_fd = -1;
static int pauses;

/* The waiting loop's pause: the holder lets go during the second one. */
static int pause_then_release(int64_t ms)
{
    (void)ms;
    usleep(20000);
    if (++pauses == 2) {
        close(holder_fd);
        holder_fd = -1;
    }
    return 0;
}

static int seen_waiting;
static void on_waiting(const char *holder, void *ctx)
{
    (void)ctx;
    seen_waiting++;
    assert_non_null(strstr(holder, "the other measurement"));
}

static void test_a_busy_server_is_refused_or_waited_for_and_the_wait_recorded(void **state)
{
    (void)state;
    char *urls[] = {"http://127.0.0.1:1", "http://localhost:2"};
    char holder[1024] = "";
    tdm_endpoint_locks l = {0};

    /* free: taken at once, nothing waited for, no release known yet */
    tdm_lock_wait nowait = {.no_wait = true};
    assert_int_equal(tdm_endpoint_locks_take(&l, urls, 2, "first", &nowait, holder, sizeof holder, err, sizeof err),
                     TDM_LOCKS_HELD);
    assert_int_equal(l.n, 2);
    json_t *doc = tdm_endpoint_locks_json(&l, "the run");
    assert_string_equal(json_string_value(json_object_get(doc, "taken_by")), "the run");
    assert_string_equal(json_string_value(json_object_get(doc, "folder")), root);
    json_t *files = json_object_get(doc, "files");
    assert_int_equal(json_array_size(files), 2);
    assert_string_equal(json_string_value(json_array_get(files, 0)), "127.0.0.1_1.lock");
    assert_string_equal(json_string_value(json_array_get(files, 1)), "127.0.0.1_2.lock");
    assert_true(json_real_value(json_object_get(doc, "waited_s")) == 0.0);
    assert_true(json_is_null(json_object_get(doc, "waited_for")));
    assert_true(json_is_null(json_object_get(doc, "idle_before_s")));
    json_decref(doc);
    tdm_endpoint_locks_release(&l);
    assert_int_equal(l.n, 0);

    /* busy under no_wait: refused, the holder named, nothing kept */
    holder_fd = hold("127.0.0.1_2.lock", "the other measurement");
    assert_int_equal(tdm_endpoint_locks_take(&l, urls, 2, "second", &nowait, holder, sizeof holder, err, sizeof err),
                     TDM_LOCKS_BUSY);
    assert_non_null(strstr(holder, "the other measurement"));
    assert_int_equal(l.n, 0);

    /* busy, waiting: taken once the holder lets go; the wait and the holder are recorded,
     * and the servers' idle time runs from the first holder's release */
    tdm_lock_wait wait = {.pause_ms = pause_then_release, .waiting = on_waiting};
    assert_int_equal(tdm_endpoint_locks_take(&l, urls, 2, "third", &wait, holder, sizeof holder, err, sizeof err),
                     TDM_LOCKS_HELD);
    assert_int_equal(seen_waiting, 1);
    assert_int_equal(pauses, 2);
    assert_true(l.waited_ns >= 40000000);
    doc = tdm_endpoint_locks_json(&l, "the run");
    assert_true(json_real_value(json_object_get(doc, "waited_s")) >= 0.04);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "waited_for")), "the other measurement"));
    double idle = json_real_value(json_object_get(doc, "idle_before_s"));
    assert_true(idle >= 0.04 && idle < 60);
    json_decref(doc);
    tdm_endpoint_locks_release(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_fold_loopback_and_default_ports),
        cmocka_unit_test(test_count_is_one_file_per_server),
        cmocka_unit_test_setup_teardown(test_a_busy_server_is_refused_or_waited_for_and_the_wait_recorded, make_root,
                                        remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
