/* url.c — parses the http:// URLs the own client can serve (see http1.h).
 *
 * Deliberately narrow: plain http, a host name or IPv4/IPv6 literal, an optional port
 * and a path. Anything else is refused with a message that says what to change, since a
 * silently misread Ollama URL would measure the wrong server. */
#include "http1/http1.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, const char *url,
                                                      const char *fmt, ...)
{
    if (err && errlen) {
        char why[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "bad URL '%.200s': %s", url ? url : "(null)", why);
    }
    return TDM_HTTP1_ERR_URL;
}

static bool host_char(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

static bool ipv6_char(unsigned char ch)
{
    return isxdigit(ch) || ch == ':' || ch == '.';
}

/* Path and query: printable ASCII without space (anything else must be %-encoded). */
static bool path_char(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7f;
}

int tdm_http1_url_parse(const char *text, tdm_http1_url *out, char *err, size_t errlen)
{
    if (!text || !out)
        return fail(err, errlen, text, "no URL given");
    memset(out, 0, sizeof *out);

    const char *sep = strstr(text, "://");
    if (!sep)
        return fail(err, errlen, text, "it must start with http://");
    size_t scheme_len = (size_t)(sep - text);
    if (scheme_len == 5 && strncasecmp(text, "https", 5) == 0)
        return fail(err, errlen, text,
                    "https is not supported by tandem's own HTTP/1.1 client; use http:// "
                    "(Ollama serves plain HTTP) or a curl-based variant");
    if (scheme_len != 4 || strncasecmp(text, "http", 4) != 0)
        return fail(err, errlen, text, "unsupported scheme '%.*s' (only http:// is)",
                    (int)(scheme_len > 20 ? 20 : scheme_len), text);

    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *auth_end = auth + auth_len;
    for (const char *q = auth; q < auth_end; q++) {
        if (*q == '@')
            return fail(err, errlen, text, "user info (user@host) is not supported");
    }

    const char *host = auth, *host_end, *port = NULL;
    if (*auth == '[') {
        host = auth + 1;
        host_end = memchr(host, ']', auth_len);
        if (!host_end)
            return fail(err, errlen, text, "missing ']' after the IPv6 address");
        for (const char *q = host; q < host_end; q++) {
            if (!ipv6_char((unsigned char)*q))
                return fail(err, errlen, text, "bad character in the IPv6 address");
        }
        out->ipv6 = true;
        const char *after = host_end + 1;
        if (after < auth_end) {
            if (*after != ':')
                return fail(err, errlen, text, "unexpected text after the IPv6 address");
            port = after + 1;
        }
    } else {
        host_end = memchr(auth, ':', auth_len);
        if (host_end)
            port = host_end + 1;
        else
            host_end = auth_end;
        for (const char *q = host; q < host_end; q++) {
            if (!host_char((unsigned char)*q))
                return fail(err, errlen, text, "bad character in the host name");
        }
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0)
        return fail(err, errlen, text, "the host is empty");
    if (host_len >= TDM_HTTP1_HOST_MAX)
        return fail(err, errlen, text, "the host is longer than %d bytes", TDM_HTTP1_HOST_MAX - 1);
    memcpy(out->host, host, host_len);

    unsigned long portnum = 80;
    if (port) {
        size_t plen = (size_t)(auth_end - port);
        if (plen == 0)
            return fail(err, errlen, text, "the port after ':' is empty");
        if (plen > 5)
            return fail(err, errlen, text, "the port is not a number from 1 to 65535");
        portnum = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)port[i]))
                return fail(err, errlen, text, "the port is not a number from 1 to 65535");
            portnum = portnum * 10 + (unsigned long)(port[i] - '0');
        }
        if (portnum < 1 || portnum > 65535)
            return fail(err, errlen, text, "the port is not a number from 1 to 65535");
    }
    out->port = (uint16_t)portnum;
    snprintf(out->port_str, sizeof out->port_str, "%u", (unsigned)out->port);
    snprintf(out->authority, sizeof out->authority, "%s%s%s%s%s", out->ipv6 ? "[" : "", out->host,
             out->ipv6 ? "]" : "", out->port != 80 ? ":" : "", out->port != 80 ? out->port_str : "");

    /* Path (with query), fragment dropped. */
    const char *path = auth_end;
    size_t path_len = strcspn(path, "#");
    for (size_t i = 0; i < path_len; i++) {
        if (!path_char((unsigned char)path[i]))
            return fail(err, errlen, text,
                        "space, control or non-ASCII character in the path (%%-encode it)");
    }
    if (path[path_len] == '#') {
        for (const char *q = path + path_len; *q; q++) {
            if (!path_char((unsigned char)*q))
                return fail(err, errlen, text, "space or control character in the fragment");
        }
    }
    bool add_slash = path_len == 0 || path[0] == '?';
    if (path_len + (add_slash ? 1 : 0) >= TDM_HTTP1_PATH_MAX)
        return fail(err, errlen, text, "the path is longer than %d bytes", TDM_HTTP1_PATH_MAX - 1);
    size_t o = 0;
    if (add_slash)
        out->path[o++] = '/';
    memcpy(out->path + o, path, path_len);
    out->path[o + path_len] = '\0';
    return 0;
}
