/* scenario_validate.c — checks a complete scenario before anything runs, so a mistake
 * surfaces as one message naming the field and the fix, not as a failed call an hour
 * into a sweep. The loaders prefix the message with the file name. */
#include "core/scenario.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/scalar.h"

#define PREVIOUS_MARK "{previous}"
#define RUNS_MAX 10000
#define LINE_MIN 1024u
#define LINE_MAX_BYTES (1u << 30)

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Names end up in file names, CSV columns and report tables: keep them plain. */
static bool valid_name(const char *s, bool allow_dot)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_name_char(*s) && !(allow_dot && *s == '.'))
            return false;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* http://HOST:PORT[/path]: HOST a name, an IPv4 address or a bracketed IPv6 address.
 * Returns NULL when valid, else what is wrong (the caller adds the fix). */
static const char *url_problem(const char *url)
{
    if (strncmp(url, "http://", 7) != 0)
        return "scheme";
    const char *p = url + 7;
    const char *auth_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(auth_end - p)))
        return "userinfo";
    const char *host = p;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close == p + 1)
            return "host";
        for (const char *q = p + 1; q < close; q++)
            if (!(is_digit(*q) || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F') || *q == ':' ||
                  *q == '.'))
                return "host";
        p = close + 1;
    } else {
        while (*p && *p != ':' && *p != '/') {
            if (!is_name_char(*p) && *p != '.')
                return "host";
            p++;
        }
        if (p == host)
            return "host";
    }
    if (*p != ':')
        return "port";
    p++;
    long port = 0;
    const char *digits = p;
    while (is_digit(*p)) {
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return "port";
        p++;
    }
    if (p == digits || port < 1)
        return "port";
    /* An optional path prefix (a reverse proxy's), but nothing a plain Ollama URL
     * never has: query, fragment, spaces. */
    if (*p && *p != '/')
        return "port";
    for (; *p; p++)
        if (*p == '?' || *p == '#' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            return "path";
    return NULL;
}

static int check_url(const char *field, const char *url, char *err, size_t errlen)
{
    if (!url || !*url)
        return fail(err, errlen, "%s: missing; set it to the Ollama server's base URL, e.g. http://127.0.0.1:11434",
                    field);
    if (strncmp(url, "https://", 8) == 0)
        return fail(err, errlen,
                    "%s: '%s' uses https, which is not supported (tandem's clients speak plain HTTP/1.1, "
                    "as Ollama serves it); write it as http://HOST:PORT",
                    field, url);
    const char *why = url_problem(url);
    if (!why)
        return 0;
    if (strcmp(why, "scheme") == 0)
        return fail(err, errlen, "%s: '%s' is not an http:// URL; write it as http://HOST:PORT", field, url);
    if (strcmp(why, "userinfo") == 0) /* not echoed: it may hold a password */
        return fail(err, errlen,
                    "%s: the URL has user info (user:password@ before the host), which is not supported (Ollama "
                    "has no login; put a proxy's credentials elsewhere); write it as http://HOST:PORT",
                    field);
    if (strcmp(why, "host") == 0)
        return fail(err, errlen, "%s: '%s' has no valid host; write it as http://HOST:PORT", field, url);
    if (strcmp(why, "port") == 0)
        return fail(err, errlen,
                    "%s: '%s' needs a port from 1 to 65535 after the host; write it as http://HOST:PORT "
                    "(Ollama listens on 11434 by default)",
                    field, url);
    return fail(err, errlen, "%s: '%s' has a query, fragment or space in its path; give only http://HOST:PORT",
                field, url);
}

/* Ollama's keep_alive: a whole number of seconds ("0" unloads at once, "-1" keeps the
 * model loaded) or a Go duration ("5m", "1h30m", "300ms"). */
static bool valid_keep_alive(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!*p)
        return false;
    const char *q = p;
    while (is_digit(*q))
        q++;
    if (q > p && *q == '\0')
        return true; /* seconds */
    while (*p) {
        bool digits = false;
        while (is_digit(*p)) {
            p++;
            digits = true;
        }
        if (*p == '.') {
            p++;
            while (is_digit(*p)) {
                p++;
                digits = true;
            }
        }
        if (!digits)
            return false;
        static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
        size_t best = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i]);
            if (n > best && strncmp(p, units[i], n) == 0)
                best = n;
        }
        if (!best)
            return false;
        p += best;
    }
    return true;
}


/* "from A to B", "A or more" or "at most B" for the range [lo, hi]. */
static const char *range_text(char *buf, size_t len, double lo, double hi)
{
    char a[40], b[40];
    if (isfinite(lo) && isfinite(hi))
        snprintf(buf, len, "from %s to %s", tdm_scalar_plain(a, sizeof a, lo), tdm_scalar_plain(b, sizeof b, hi));
    else if (isfinite(lo))
        snprintf(buf, len, "%s or more", tdm_scalar_plain(a, sizeof a, lo));
    else
        snprintf(buf, len, "at most %s", tdm_scalar_plain(b, sizeof b, hi));
    return buf;
}

static int check_options(const char *field, const tdm_options *o, char *err, size_t errlen)
{
    for (int i = 0; i < TDM_OPT_COUNT; i++) {
        tdm_option_id id = (tdm_option_id)i;
        if (!tdm_options_has(o, id))
            continue;
        double v = o->value[i];
        const char *name = tdm_option_name(id);
        if (!isfinite(v))
            return fail(err, errlen, "%s.%s: not a finite number; give a plain number", field, name);
        if (tdm_option_is_int(id) && v != floor(v))
            return fail(err, errlen, "%s.%s: %g is not a whole number; Ollama takes an integer here", field, name,
                        v);
        double lo = -INFINITY, hi = INFINITY;
        const char *fix = NULL;
        switch (id) {
        case TDM_OPT_NUM_GPU:
            lo = -1, fix = "give the number of layers to offload (0 = CPU only, -1 = let Ollama decide)";
            break;
        case TDM_OPT_NUM_CTX:
            lo = 1, fix = "give the context length in tokens, e.g. 2048";
            break;
        case TDM_OPT_NUM_PREDICT:
            lo = -2, fix = "give the number of tokens to generate (-1 = until done, -2 = fill the context)";
            break;
        case TDM_OPT_NUM_THREAD:
            lo = 0, fix = "give a thread count (0 = let Ollama decide)";
            break;
        case TDM_OPT_TOP_K:
            lo = 0, fix = "use 0 or more (40 is Ollama's default)";
            break;
        case TDM_OPT_TEMPERATURE:
            lo = 0, fix = "use 0 or more (0 = greedy)";
            break;
        case TDM_OPT_TOP_P:
            lo = 0, hi = 1, fix = "use a value from 0 to 1";
            break;
        case TDM_OPT_REPEAT_PENALTY:
            lo = 0, fix = "use 0 or more (1 = no penalty)";
            break;
        case TDM_OPT_PRESENCE_PENALTY:
        case TDM_OPT_FREQUENCY_PENALTY:
            lo = -2, hi = 2, fix = "use a value from -2 to 2 (0 = no penalty), as the OpenAI API takes";
            break;
        case TDM_OPT_SEED:
        case TDM_OPT_COUNT:
            break;
        }
        /* Beyond 2^53 a double no longer holds every integer: JSON readers would round it. */
        if (tdm_option_is_int(id)) {
            lo = fmax(lo, -9007199254740992.0);
            hi = fmin(hi, 9007199254740992.0);
        }
        char vb[40], rb[100];
        if (v < lo || v > hi)
            return fail(err, errlen, "%s.%s: %s is out of range (%s)%s%s", field, name, tdm_scalar_plain(vb, sizeof vb, v),
                        range_text(rb, sizeof rb, lo, hi), fix ? "; " : "", fix ? fix : "");
    }
    return 0;
}

/* An openai agent sends what the OpenAI API has: Ollama's own settings would be dropped
 * without a word, so each one is refused with the way out. */
static int check_openai(const char *f, const tdm_agent *a, char *err, size_t errlen)
{
    if (a->keep_alive)
        return fail(err, errlen,
                    "%s.keep_alive: '%s' is Ollama's own setting, which the OpenAI API (api: openai) has no field "
                    "for; remove keep_alive (from the agent or defaults:), or use api: chat to keep it",
                    f, a->keep_alive);
    for (int i = 0; i < TDM_OPT_COUNT; i++)
        if (tdm_options_has(&a->options, (tdm_option_id)i) && !tdm_option_openai_name((tdm_option_id)i))
            return fail(err, errlen,
                        "%s.options.%s: an Ollama-only option, which the OpenAI API (api: openai) does not carry; "
                        "remove it (from the agent or defaults:), or use api: chat to keep it (api: openai sends "
                        "num_predict as max_tokens, temperature, top_p, seed, presence_penalty and "
                        "frequency_penalty)",
                        f, tdm_option_name((tdm_option_id)i));
    return 0;
}

static int check_step(const char *agent_field, size_t k, const tdm_step *st, const tdm_step *steps, char *err,
                      size_t errlen)
{
    char f[96];
    snprintf(f, sizeof f, "%s.steps[%zu]", agent_field, k);
    if (!valid_name(st->name, true))
        return fail(err, errlen, "%s.name: '%s' is not a valid step name; use letters, digits, '-', '_' or '.'",
                    f, st->name ? st->name : "");
    for (size_t j = 0; j < k; j++)
        if (steps[j].name && strcmp(steps[j].name, st->name) == 0)
            return fail(err, errlen, "%s.name: '%s' is already used by steps[%zu]; step names must be unique", f,
                        st->name, j);
    if (!st->prompt || !*st->prompt)
        return fail(err, errlen, "%s.prompt: missing or empty; every step needs a prompt", f);
    if (k == 0 && strstr(st->prompt, PREVIOUS_MARK))
        return fail(err, errlen,
                    "%s.prompt: uses " PREVIOUS_MARK " but this is the agent's first step, so nothing precedes "
                    "it; remove the placeholder or add a step before this one",
                    f);
    if (st->system && strstr(st->system, PREVIOUS_MARK))
        return fail(err, errlen,
                    "%s.system: contains " PREVIOUS_MARK ", which is replaced only in prompts; move it into "
                    "the prompt",
                    f);
    return 0;
}

static int check_agent(size_t i, const tdm_agent *a, const tdm_scenario *s, char *err, size_t errlen)
{
    char f[48];
    snprintf(f, sizeof f, "agents[%zu]", i);
    if (!a->name || !*a->name)
        return fail(err, errlen, "%s.name: missing; give every agent a short name such as collector", f);
    if (!valid_name(a->name, false))
        return fail(err, errlen, "%s.name: '%s' is not a valid agent name; use only letters, digits, '-' and '_'",
                    f, a->name);
    for (size_t j = 0; j < i; j++)
        if (s->agents[j].name && strcmp(s->agents[j].name, a->name) == 0)
            return fail(err, errlen, "%s.name: '%s' is already used by agents[%zu]; agent names must be unique", f,
                        a->name, j);
    if (!a->label || !*a->label)
        return fail(err, errlen, "%s.label: empty; remove it (it defaults to the name) or give a label", f);
    char uf[64];
    snprintf(uf, sizeof uf, "%s.url", f);
    if (check_url(uf, a->url, err, errlen) != 0)
        return -1;
    if (!a->model || !*a->model)
        return fail(err, errlen,
                    "%s.model: missing; set model: on the agent or under defaults: (e.g. gemma3:latest)", f);
    if ((unsigned)a->api >= TDM_API_COUNT)
        return fail(err, errlen, "%s.api: unknown API %d; use generate, chat or openai", f, (int)a->api);
    if (a->api == TDM_API_OPENAI && check_openai(f, a, err, errlen) != 0)
        return -1;
    if (a->keep_alive && !valid_keep_alive(a->keep_alive))
        return fail(err, errlen,
                    "%s.keep_alive: '%s' is not a duration; write e.g. 5m, 30s, 1h, 0 (unload at once) or -1 "
                    "(keep loaded)",
                    f, a->keep_alive);
    char of[64];
    snprintf(of, sizeof of, "%s.options", f);
    if (check_options(of, &a->options, err, errlen) != 0)
        return -1;
    if (a->n_steps == 0 || !a->steps)
        return fail(err, errlen, "%s.steps: none; give the agent a prompt: or a list of steps:", f);
    for (size_t k = 0; k < a->n_steps; k++)
        if (check_step(f, k, &a->steps[k], a->steps, err, errlen) != 0)
            return -1;
    return 0;
}

int tdm_scenario_validate(const tdm_scenario *s, char *err, size_t errlen)
{
    if (!s->name || !*s->name)
        return fail(err, errlen, "name: missing; give the scenario a name (letters, digits, '-', '_', '.')");
    if (!valid_name(s->name, true))
        return fail(err, errlen, "name: '%s' is not a valid scenario name; use only letters, digits, '-', '_' and '.'",
                    s->name);
    if (s->runs < 1 || s->runs > RUNS_MAX)
        return fail(err, errlen, "runs: %d is out of range (from 1 to %d)", s->runs, RUNS_MAX);
    if (s->seed > (uint64_t)INT64_MAX)
        return fail(err, errlen, "seed: %llu is too large; use 0 to %lld", (unsigned long long)s->seed,
                    (long long)INT64_MAX);
    if (s->warmup && s->warmup_num_predict < 1)
        return fail(err, errlen,
                    "warmup_num_predict: %d; the warm-up call must generate at least 1 token (1 is enough to "
                    "load the model)",
                    s->warmup_num_predict);
    if (!s->sequential && !s->concurrent)
        return fail(err, errlen, "phases: none selected; list sequential and/or concurrent");
    if (s->arrivals.process != TDM_ARRIVALS_NONE && !s->concurrent)
        return fail(err, errlen,
                    "phases: arrivals: time the concurrent phase, which is not selected; add concurrent to phases:");
    if (!isfinite(s->contention_threshold_pct) || s->contention_threshold_pct < 0 ||
        s->contention_threshold_pct > 100)
        return fail(err, errlen, "contention_threshold_pct: %g is out of range (from 0 to 100); give a percentage",
                    s->contention_threshold_pct);
    if (s->max_line_bytes < LINE_MIN || s->max_line_bytes > LINE_MAX_BYTES)
        return fail(err, errlen, "max_line_bytes: %llu is out of range (from %u to %u); the default is 8388608",
                    (unsigned long long)s->max_line_bytes, LINE_MIN, LINE_MAX_BYTES);
    const struct {
        const char *name;
        int64_t v;
    } t[] = {
        {"connect_ms", s->timeouts.connect_ms},
        {"first_byte_ms", s->timeouts.first_byte_ms},
        {"idle_ms", s->timeouts.idle_ms},
        {"total_ms", s->timeouts.total_ms},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].v <= 0)
            return fail(err, errlen, "timeouts.%s: %lld; a timeout must be > 0 milliseconds", t[i].name,
                        (long long)t[i].v);
    if (s->n_agents == 0 || !s->agents)
        return fail(err, errlen, "agents: none; add at least one agent (name, url, model and a prompt)");
    for (size_t i = 0; i < s->n_agents; i++)
        if (check_agent(i, &s->agents[i], s, err, errlen) != 0)
            return -1;
    return 0;
}
