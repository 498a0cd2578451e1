/* fuzz_url.c — the URL parser (src/http1/url.c) on any string, as it comes from a
 * command line, a YAML experiment file or a server list.
 *
 * Checks, on any input (cut at its first NUL, as a C string would be):
 * - a refused URL returns TDM_HTTP1_ERR_URL with a non-empty message, also into a tiny
 *   err buffer (truncated, still NUL-terminated) and with no err buffer at all;
 * - an accepted URL has a non-empty host of host-name or IPv6 characters, a port of 1 to
 *   65535 that port_str spells, an authority that is the host (bracketed for IPv6) with
 *   ":port" unless the port is 80, and a path that starts with '/' and holds only visible
 *   ASCII; everything NUL-terminated within its field;
 * - it round-trips: "http://" + authority + path parses again to the very same fields. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1/http1.h"
#include "fuzz_common.h"

static void check_fields(const tdm_http1_url *u, const char *text)
{
    size_t hl = strnlen(u->host, sizeof u->host);
    FUZZ_CHECK(hl > 0 && hl < sizeof u->host, "host length %zu for '%s'", hl, text);
    for (size_t i = 0; i < hl; i++) {
        unsigned char ch = (unsigned char)u->host[i];
        bool ok = u->ipv6 ? (isxdigit(ch) || ch == ':' || ch == '.')
                          : (isalnum(ch) || ch == '-' || ch == '.' || ch == '_');
        FUZZ_CHECK(ok, "byte 0x%02x in host of '%s'", ch, text);
    }
    FUZZ_CHECK(u->port >= 1, "port 0 accepted in '%s'", text);
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)u->port);
    FUZZ_CHECK(strcmp(port, u->port_str) == 0, "port_str '%s' for port %u", u->port_str,
               (unsigned)u->port);
    char auth[sizeof u->authority + 8];
    snprintf(auth, sizeof auth, "%s%s%s%s%s", u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
             u->port != 80 ? ":" : "", u->port != 80 ? port : "");
    FUZZ_CHECK(strcmp(auth, u->authority) == 0, "authority '%s', expected '%s'", u->authority, auth);
    size_t pl = strnlen(u->path, sizeof u->path);
    FUZZ_CHECK(pl > 0 && pl < sizeof u->path && u->path[0] == '/', "path '%.40s' of '%s'", u->path,
               text);
    for (size_t i = 0; i < pl; i++)
        FUZZ_CHECK(u->path[i] > 0x20 && u->path[i] < 0x7f, "byte 0x%02x in path of '%s'",
                   (unsigned char)u->path[i], text);
    FUZZ_CHECK(strchr(u->path, '#') == NULL, "fragment kept in the path of '%s'", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* The parser takes a C string: the input up to its first NUL, in an exact block. */
    size_t n = strnlen((const char *)data, len);
    char *text = malloc(n + 1);
    FUZZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data, n);
    text[n] = '\0';

    tdm_http1_url u;
    char err[512];
    err[0] = '\0';
    int rc = tdm_http1_url_parse(text, &u, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == TDM_HTTP1_ERR_URL, "result %d", rc);

    /* The outcome must not depend on the err buffer offered. */
    tdm_http1_url u2;
    char tiny[4] = "xxx";
    int rc_tiny = tdm_http1_url_parse(text, &u2, tiny, sizeof tiny);
    int rc_none = tdm_http1_url_parse(text, &u2, NULL, 0);
    FUZZ_CHECK(rc_tiny == rc && rc_none == rc, "result depends on the err buffer");
    if (rc != 0) {
        FUZZ_CHECK(err[0] != '\0', "refused '%s' without a message", text);
        FUZZ_CHECK(memchr(tiny, '\0', sizeof tiny) != NULL, "tiny err not NUL-terminated");
    } else {
        FUZZ_CHECK(memcmp(&u, &u2, sizeof u) == 0, "fields depend on the err buffer");
        check_fields(&u, text);
        char again[16 + sizeof u.authority + sizeof u.path];
        snprintf(again, sizeof again, "http://%s%s", u.authority, u.path);
        tdm_http1_url r;
        rc = tdm_http1_url_parse(again, &r, err, sizeof err);
        FUZZ_CHECK(rc == 0, "'%s' (from '%s') refused: %s", again, text, err);
        FUZZ_CHECK(memcmp(&u, &r, sizeof u) == 0, "'%s' (from '%s') parses to other fields", again,
                   text);
    }
    free(text);
    return 0;
}
