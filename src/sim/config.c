/* config.c — tandem-sim's command line (see config.h). */
#include "sim/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/request.h"

static const char HELP[] =
    "Usage: tandem-sim [OPTIONS]\n"
    "\n"
    "An Ollama-compatible HTTP/1.1 server that generates no text but keeps Ollama's wire\n"
    "format and timing: cold load, prompt evaluation, then one streamed NDJSON line per\n"
    "token at a fixed rate, slowed down when streams share a simulated device. It is the\n"
    "ideal server tandem's client is calibrated and tested against.\n"
    "\n"
    "Endpoints: POST /api/generate, POST /api/chat (streamed, or \"stream\": false),\n"
    "POST /api/show, GET /api/tags, GET /api/ps, GET /api/version, GET|HEAD /, and\n"
    "Ollama's OpenAI-compatible POST /v1/chat/completions (SSE with \"stream\": true,\n"
    "stream_options.include_usage for the usage chunk; max_tokens is num_predict), GET\n"
    "/v1/models and GET /v1/models/NAME. /v1 requests are chats: same timing, slots,\n"
    "faults and emission log lines.\n"
    "\n"
    "Listening:\n"
    "  --host ADDR            IPv4/IPv6 address to bind (default 127.0.0.1)\n"
    "  --port P[@DEV][:K]     listen on port P (0 = the OS picks one); repeatable. A port\n"
    "                         gets its own device unless @DEV names a device that several\n"
    "                         ports share (two Ollama servers on one GPU). Default 11434.\n"
    "                         Unnamed devices are called dev0, dev1, ... by --port order.\n"
    "                         :K gives this port K request slots (see --num-parallel),\n"
    "                         e.g. 11434:4, 11435@gpu0:1, 0:2; :0 means no limit\n"
    "  --ready-file FILE      once every port listens, write FILE atomically with one line\n"
    "                         \"PORT DEVICE\" per port (real port numbers, --port order)\n"
    "\n"
    "Timing model (per device):\n"
    "  --decode-tps R         output tokens/s of one stream alone (default 100)\n"
    "  --vram-pct P           /api/ps reports P% of a loaded model in VRAM (size_vram;\n"
    "                         default 100, as Ollama on a GPU; 0 as on the CPU)\n"
    "  --prefill-tps R        prompt tokens/s of one stream alone (default 2000)\n"
    "  --alpha A              with k streams in prefill or decode, each runs at\n"
    "                         rate/(1 + A*(k-1)): 1 = time-slicing (default), 0 = perfect\n"
    "                         parallelism, in between = partial gain from batching\n"
    "  --num-parallel K       request slots of every port that names none, as Ollama's\n"
    "                         OLLAMA_NUM_PARALLEL: at most K generate/chat requests run at\n"
    "                         once on a port; the rest wait, first come first served, once\n"
    "                         their model is loaded, with no prefill and no byte sent (the\n"
    "                         status line goes out with the first token, as in Ollama), and\n"
    "                         the wait counted only in total_duration. Streams in slots\n"
    "                         share the device as --alpha says. 0 = no limit, every request\n"
    "                         streams at once (default 0; Ollama 0.11.4 itself defaults to 1)\n"
    "  --load-ms MS           cold load of a model on a port: its first request, or the\n"
    "                         first after keep_alive expired (default 0)\n"
    "  --sched-ms MS          scheduling time of every generate/chat request before its\n"
    "                         prompt is evaluated, reported inside load_duration as Ollama\n"
    "                         does (real 0.11.4: 1-3 ms warm, so load_duration is never 0);\n"
    "                         0 makes a warm load_duration 0 and omitted (default 1)\n"
    "  --keep-alive DUR       keep_alive when a request sends none and the model is not\n"
    "                         loaded (default 5m); while it is loaded, the last keep_alive\n"
    "                         a request sent stays in force, as in Ollama 0.11.4\n"
    "  --tokens-mean N        output length without options.num_predict: a seeded normal\n"
    "  --tokens-sd N          draw, rounded, at least 1 (defaults 64 and 16). With\n"
    "                         num_predict > 0 the output is exactly num_predict tokens and\n"
    "                         done_reason is \"length\".\n"
    "  --max-tokens N         upper bound on any output length (default 100000)\n"
    "  --seed N               seed of output lengths and token text (default 1). A\n"
    "                         request with options.seed gets the same answer every time;\n"
    "                         otherwise the n-th generate/chat request on a port gets the\n"
    "                         n-th draw, so a run repeats exactly when its order does.\n"
    "  --utf8                 token text mixes in multi-byte UTF-8 characters\n"
    "\n"
    "Identity:\n"
    "  --model NAME           serve this model (repeatable; default gemma3:latest and\n"
    "                         tiny:latest). Other models answer 404 as Ollama does.\n"
    "  --version-string S     what /api/version reports (default 0.11.4)\n"
    "  --max-body-bytes N     larger request bodies get 413 (default 8388608)\n"
    "\n"
    "Measurement:\n"
    "  --emit-log FILE        append one NDJSON line per token written and per request\n"
    "                         start/end, with CLOCK_MONOTONIC times (see below)\n"
    "\n"
    "Faults (--fault PORT:MODE[:ARG], repeatable; PORT is a --port value or #N for the\n"
    "N-th --port counting from 0, needed when ports are 0):\n"
    "  refuse                 bind the port but never listen: connections are refused\n"
    "  404                    every generate/chat answers 404 as for a model it does not\n"
    "                         have: {\"error\":\"model 'x' not found\"} (chat: \"model \\\"x\\\"\n"
    "                         not found, try pulling it first\")\n"
    "  500                    every generate/chat answers 500 {\"error\":...} before streaming\n"
    "  error-line:N           after N tokens send {\"error\":\"simulated failure after N\n"
    "                         tokens\"} as a line, then end the chunked response properly.\n"
    "                         A /v1 stream gets what Ollama sends there: one empty chunk\n"
    "                         with \"model\":\"\" (the message is lost) and no [DONE]\n"
    "  error-event:N          as error-line, but a /v1 stream gets the error as an event,\n"
    "                         data: {\"error\":{\"message\":...,\"type\":\"api_error\",...}}\n"
    "                         (as OpenAI, vLLM and llama-server send it), and no [DONE]\n"
    "  disconnect:N           after N tokens close the socket mid-stream\n"
    "  stall:N                after N tokens send nothing more but keep the connection open\n"
    "  malformed:N            after N tokens send one line that is not JSON, then go on\n"
    "  oversized:BYTES        the first token line is BYTES long (e.g. 16MiB), one chunk,\n"
    "                         its newline only at the end; then the stream goes on\n"
    "  utf8-split             token text always holds multi-byte UTF-8 characters, and\n"
    "                         each such line is sent as two chunks split inside one\n"
    "  slow-headers:MS        wait MS before starting each response (status line and\n"
    "                         headers come MS later than they otherwise would)\n"
    "  drop-reused            a request on a connection that already served one is met\n"
    "                         by a close, unanswered: what a client sees when the server\n"
    "                         closed an idle kept-alive connection as the request went out\n"
    "  With \"stream\": false, error-line and error-event give a 500 and malformed a\n"
    "  non-JSON body. On /v1, 404 and 500 answer in OpenAI's error shape.\n"
    "\n"
    "  --help                 this text; --version prints tandem-sim's version\n"
    "\n"
    "Emission log lines (one JSON object per line):\n"
    "  {\"port\":P,\"conn\":C,\"req\":R,\"ev\":\"start\",\"t_ns\":T,\"method\":\"POST\",\"path\":\"/api/chat\"}\n"
    "  {\"port\":P,\"conn\":C,\"req\":R,\"i\":I,\"t_ns\":T,\"due_ns\":D}   token I handed to the kernel\n"
    "  {\"port\":P,\"conn\":C,\"req\":R,\"ev\":\"end\",\"t_ns\":T,\"status\":S,\"tokens\":N,\"reason\":\"stop\"}\n"
    "  on a port with K slots, also, before the request's first token:\n"
    "  {\"port\":P,\"conn\":C,\"req\":R,\"ev\":\"queued\",\"t_ns\":T,\"due_ns\":D,\"ahead\":A}\n"
    "  {\"port\":P,\"conn\":C,\"req\":R,\"ev\":\"slot\",\"t_ns\":T,\"due_ns\":D,\"wait_ns\":W}\n"
    "  queued: every slot was taken when the request was ready, A requests wait before it;\n"
    "  slot: it got one (W: model time it waited, 0 when it did not queue). due_ns is the\n"
    "  model time of the event, t_ns when it was logged.\n"
    "  conn counts connections from 1 per process, req requests from 1 per connection;\n"
    "  due_ns is when the timing model produced the token; t_ns when its write was handed\n"
    "  to the kernel (just before the write call; if the socket could not take it all at\n"
    "  once, when its last byte went in). Both are CLOCK_MONOTONIC, as clients measure.\n"
    "\n"
    "Examples:\n"
    "  tandem-sim                                   # one Ollama on 127.0.0.1:11434\n"
    "  tandem-sim --port 11434@gpu0 --port 11435@gpu0 --decode-tps 50 --alpha 1\n"
    "                                               # two servers sharing one GPU\n"
    "  tandem-sim --port 11434@gpu0:2 --port 11435@gpu0:2 --alpha 0.3\n"
    "                                               # two servers, 2 slots each, one GPU\n"
    "  tandem-sim --port 0 --port 0 --ready-file /tmp/ready --emit-log /tmp/emit.ndjson\n"
    "  tandem-sim --port 11434 --fault 11434:disconnect:5 --load-ms 2000\n"
    "  tandem-sim --port 0 --port 0 --fault '#1:stall:3'\n";

void tdm_sim_print_help(FILE *out)
{
    fputs(HELP, out);
}

void tdm_sim_config_defaults(tdm_sim_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "127.0.0.1");
    c->decode_tps = 100;
    c->prefill_tps = 2000;
    c->alpha = 1.0;
    c->num_parallel = 0;
    c->load_ms = 0;
    c->sched_ms = 1.0;
    c->keep_alive_ns = 300LL * 1000000000LL;
    c->tokens_mean = 64;
    c->tokens_sd = 16;
    c->max_tokens = 100000;
    c->seed = 1;
    snprintf(c->version, sizeof c->version, "0.11.4");
    c->max_body = 8u * 1024u * 1024u;
    c->vram_pct = 100;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(d))
        return -1;
    *v = d;
    return 0;
}

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return -1;
    *v = x;
    return 0;
}

/* "16777216", "16MiB", "16M", "64KiB", "64K" (binary multiples). */
static int parse_bytes(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || errno || x < 0)
        return -1;
    int64_t mult = 1;
    if (!strcmp(end, "K") || !strcmp(end, "KiB") || !strcmp(end, "k"))
        mult = 1024;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
        mult = 1024 * 1024;
    else if (*end)
        return -1;
    if (x > INT64_MAX / mult)
        return -1;
    *v = x * mult;
    return 0;
}

static bool valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

int tdm_sim_fault_parse(const char *spec, tdm_sim_faults *f, char *err, size_t errlen)
{
    static const struct { const char *name; bool has_arg; } modes[] = {
        {"refuse", false}, {"404", false}, {"500", false}, {"utf8-split", false},
        {"error-line", true}, {"disconnect", true}, {"stall", true}, {"malformed", true},
        {"oversized", true}, {"slow-headers", true}, {"drop-reused", false},
        {"error-event", true}};
    const char *colon = strchr(spec, ':');
    size_t mlen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *arg = colon ? colon + 1 : NULL;
    int mode = -1;
    for (int i = 0; i < (int)(sizeof modes / sizeof modes[0]); i++)
        if (strlen(modes[i].name) == mlen && !strncmp(spec, modes[i].name, mlen))
            mode = i;
    if (mode < 0) {
        fail(err, errlen, "--fault: unknown mode '%.*s'; use one of refuse, 404, 500, "
             "error-line:N, error-event:N, disconnect:N, stall:N, malformed:N, oversized:BYTES, "
             "utf8-split, slow-headers:MS, drop-reused", (int)mlen, spec);
        return -1;
    }
    if (modes[mode].has_arg != (arg != NULL)) {
        fail(err, errlen, modes[mode].has_arg
                              ? "--fault: mode '%s' needs an argument, e.g. %s:3"
                              : "--fault: mode '%s' takes no argument (remove ':...' after %s)",
             modes[mode].name, modes[mode].name);
        return -1;
    }
    int64_t n = 0;
    if (arg) {
        int bad = mode == 8 ? parse_bytes(arg, &n) : parse_i64(arg, &n);
        int64_t lo = mode == 8 ? 64 : 0;
        int64_t hi = mode == 8 ? (1LL << 30) : mode == 9 ? 3600000 : 100000000;
        if (bad || n < lo || n > hi) {
            fail(err, errlen, "--fault: %s:%s: the argument must be %s from %lld to %lld",
                 modes[mode].name, arg,
                 mode == 8 ? "a byte count (suffix K/KiB/M/MiB allowed)"
                           : mode == 9 ? "milliseconds" : "a token count",
                 (long long)lo, (long long)hi);
            return -1;
        }
    }
    switch (mode) {
    case 0: f->refuse = true; break;
    case 1: f->not_found = true; break;
    case 2: f->server_error = true; break;
    case 3: f->utf8_split = true; break;
    case 4: f->error_line = n; break;
    case 5: f->disconnect = n; break;
    case 6: f->stall = n; break;
    case 7: f->malformed = n; break;
    case 8: f->oversized = n; break;
    case 9: f->slow_headers_ms = n; break;
    case 10: f->drop_reused = true; break;
    default: f->error_event = n; break;
    }
    return 0;
}

/* A slot count: 0 (no limit) to TDM_SIM_MAX_PARALLEL. */
static int slot_count(const char *s, int *k)
{
    int64_t x;
    if (parse_i64(s, &x) || x < 0 || x > TDM_SIM_MAX_PARALLEL)
        return -1;
    *k = (int)x;
    return 0;
}

static int add_port(tdm_sim_config *c, const char *v, char *err, size_t errlen)
{
    if (c->nports >= TDM_SIM_MAX_PORTS) {
        fail(err, errlen, "--port: at most %d ports", TDM_SIM_MAX_PORTS);
        return -1;
    }
    tdm_sim_port_cfg *p = &c->ports[c->nports];
    memset(p, 0, sizeof *p);
    p->faults = (tdm_sim_faults){.error_line = -1, .error_event = -1, .disconnect = -1,
                                 .stall = -1, .malformed = -1};
    p->num_parallel = -1; /* --num-parallel's, whichever order the flags come in */
    /* P[@DEV][:K]: device names hold no ':', so the last ':' starts the slot count. */
    char spec[TDM_SIM_NAME_MAX + 32];
    if (strlen(v) >= sizeof spec) {
        fail(err, errlen, "--port: '%.80s...' is too long; give P[@DEVICE][:K], e.g. 11434@gpu0:2", v);
        return -1;
    }
    snprintf(spec, sizeof spec, "%s", v);
    char *colon = strrchr(spec, ':');
    if (colon) {
        *colon = '\0';
        if (slot_count(colon + 1, &p->num_parallel)) {
            fail(err, errlen, "--port: '%s': the slot count after ':' must be an integer from "
                 "0 (no limit) to %d, e.g. 11434:2", v, TDM_SIM_MAX_PARALLEL);
            return -1;
        }
    }
    v = spec;
    const char *at = strchr(v, '@');
    char num[16];
    size_t nlen = at ? (size_t)(at - v) : strlen(v);
    int64_t port;
    if (nlen == 0 || nlen >= sizeof num) {
        fail(err, errlen, "--port: '%s' is not a port; give 0-65535, optionally @DEVICE", v);
        return -1;
    }
    memcpy(num, v, nlen);
    num[nlen] = '\0';
    if (parse_i64(num, &port) || port < 0 || port > 65535) {
        fail(err, errlen, "--port: '%s' is not a port; give 0-65535, optionally @DEVICE", v);
        return -1;
    }
    p->port = (int)port;
    if (at) {
        if (!valid_name(at + 1, sizeof p->device)) {
            fail(err, errlen, "--port: device name '%s' must be 1-63 characters of "
                 "A-Z a-z 0-9 . _ -", at + 1);
            return -1;
        }
        snprintf(p->device, sizeof p->device, "%s", at + 1);
    } else {
        snprintf(p->device, sizeof p->device, "dev%zu", c->nports);
    }
    c->nports++;
    return 0;
}

static int apply_fault(tdm_sim_config *c, const char *v, char *err, size_t errlen)
{
    const char *colon = strchr(v, ':');
    if (!colon) {
        fail(err, errlen, "--fault: '%s' must be PORT:MODE[:ARG], e.g. 11434:stall:3 or #0:404", v);
        return -1;
    }
    char target[16];
    size_t tlen = (size_t)(colon - v);
    if (tlen == 0 || tlen >= sizeof target) {
        fail(err, errlen, "--fault: '%s' must start with a port or #N", v);
        return -1;
    }
    memcpy(target, v, tlen);
    target[tlen] = '\0';
    int64_t x;
    tdm_sim_port_cfg *hit = NULL;
    if (target[0] == '#') {
        if (parse_i64(target + 1, &x) || x < 0 || (size_t)x >= c->nports) {
            fail(err, errlen, "--fault: '%s' names no port; #N counts --port options from 0 "
                 "(there are %zu)", target, c->nports);
            return -1;
        }
        hit = &c->ports[x];
    } else {
        if (parse_i64(target, &x)) {
            fail(err, errlen, "--fault: '%s' is not a port; use a --port value or #N", target);
            return -1;
        }
        for (size_t i = 0; i < c->nports; i++)
            if (c->ports[i].port == x) {
                if (hit) {
                    fail(err, errlen, "--fault: port %s is given more than once; use #N "
                         "(the N-th --port, from 0) instead", target);
                    return -1;
                }
                hit = &c->ports[i];
            }
        if (!hit) {
            fail(err, errlen, "--fault: port %s is not one of the --port options", target);
            return -1;
        }
    }
    return tdm_sim_fault_parse(colon + 1, &hit->faults, err, errlen);
}

/* Range-checked number options: name, where, bounds, a hint. */
static int number(const char *flag, const char *v, double lo, double hi, bool lo_open,
                  const char *hint, double *out, char *err, size_t errlen)
{
    double d;
    if (parse_double(v, &d) || d > hi || (lo_open ? d <= lo : d < lo)) {
        fail(err, errlen, "%s: '%s' is not valid; give %s", flag, v, hint);
        return -1;
    }
    *out = d;
    return 0;
}

int tdm_sim_config_parse(tdm_sim_config *c, int argc, char **argv, FILE *out, char *err,
                         size_t errlen)
{
    const char *faults[256];
    size_t nfaults = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            tdm_sim_print_help(out);
            return TDM_SIM_CLI_EXIT;
        }
        if (!strcmp(a, "--version")) {
#ifdef TDM_VERSION
            fprintf(out, "tandem-sim %s\n", TDM_VERSION);
#else
            fprintf(out, "tandem-sim\n");
#endif
            return TDM_SIM_CLI_EXIT;
        }
        if (!strcmp(a, "--utf8")) {
            c->utf8 = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fail(err, errlen, "unexpected argument '%s'; every setting is a --flag (see --help)", a);
            return TDM_SIM_CLI_ERROR;
        }
        /* --flag VALUE or --flag=VALUE */
        char flag[64];
        const char *v;
        const char *eq = strchr(a, '=');
        if (eq) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - a), a);
            v = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
            if (i + 1 >= argc) {
                bool known = strstr(" --host --port --model --decode-tps --prefill-tps --alpha --num-parallel "
                                    "--load-ms --sched-ms --keep-alive --tokens-mean --tokens-sd "
                                    "--max-tokens --seed --version-string --emit-log "
                                    "--ready-file --fault --max-body-bytes --vram-pct ", flag) != NULL;
                if (known)
                    fail(err, errlen, "%s needs a value (see --help)", flag);
                else
                    fail(err, errlen, "unknown option '%s' (see --help)", flag);
                return TDM_SIM_CLI_ERROR;
            }
            v = argv[++i];
        }
        int r = 0;
        double d;
        int64_t x;
        if (!strcmp(flag, "--host")) {
            if (!*v || strlen(v) >= sizeof c->host) {
                fail(err, errlen, "--host: '%s' is not an address; give e.g. 127.0.0.1 or ::1", v);
                r = -1;
            } else {
                snprintf(c->host, sizeof c->host, "%s", v);
            }
        } else if (!strcmp(flag, "--port")) {
            r = add_port(c, v, err, errlen);
        } else if (!strcmp(flag, "--model")) {
            if (c->nmodels >= TDM_SIM_MAX_MODELS || !*v || strlen(v) >= 100 ||
                strpbrk(v, " \t\"\\")) {
                fail(err, errlen, "--model: '%s' is not a usable model name (at most %d, "
                     "each without spaces, quotes or backslashes, e.g. gemma3:latest)",
                     v, TDM_SIM_MAX_MODELS);
                r = -1;
            } else {
                snprintf(c->models[c->nmodels++], sizeof c->models[0], "%s", v);
            }
        } else if (!strcmp(flag, "--vram-pct")) {
            r = number(flag, v, 0, 100, false, "a percentage from 0 to 100 such as 60", &c->vram_pct, err, errlen);
        } else if (!strcmp(flag, "--decode-tps")) {
            r = number(flag, v, 0, 1e6, true, "tokens per second > 0 such as 50", &c->decode_tps, err, errlen);
        } else if (!strcmp(flag, "--prefill-tps")) {
            r = number(flag, v, 0, 1e8, true, "tokens per second > 0 such as 2000", &c->prefill_tps, err, errlen);
        } else if (!strcmp(flag, "--alpha")) {
            r = number(flag, v, 0, 100, false, "a factor >= 0 such as 1", &c->alpha, err, errlen);
        } else if (!strcmp(flag, "--num-parallel")) {
            if (slot_count(v, &c->num_parallel)) {
                fail(err, errlen, "--num-parallel: '%s' is not valid; give request slots per "
                     "port from 0 (no limit) to %d, e.g. 1 as Ollama's default", v,
                     TDM_SIM_MAX_PARALLEL);
                r = -1;
            }
        } else if (!strcmp(flag, "--load-ms")) {
            r = number(flag, v, 0, 3.6e6, false, "milliseconds >= 0 such as 1500", &c->load_ms, err, errlen);
        } else if (!strcmp(flag, "--sched-ms")) {
            r = number(flag, v, 0, 60000, false, "milliseconds >= 0 such as 1", &c->sched_ms, err, errlen);
        } else if (!strcmp(flag, "--tokens-mean")) {
            r = number(flag, v, 1, 1e7, false, "a token count >= 1 such as 64", &c->tokens_mean, err, errlen);
        } else if (!strcmp(flag, "--tokens-sd")) {
            r = number(flag, v, 0, 1e7, false, "a token count >= 0 such as 16", &c->tokens_sd, err, errlen);
        } else if (!strcmp(flag, "--max-tokens")) {
            r = number(flag, v, 1, 1e8, false, "a token count >= 1 such as 100000", &d, err, errlen);
            c->max_tokens = (int64_t)d;
        } else if (!strcmp(flag, "--seed")) {
            if (parse_i64(v, &x)) {
                fail(err, errlen, "--seed: '%s' is not an integer; e.g. --seed 42", v);
                r = -1;
            }
            c->seed = (uint64_t)x;
        } else if (!strcmp(flag, "--keep-alive")) {
            if (tdm_sim_parse_duration(v, &x)) {
                fail(err, errlen, "--keep-alive: '%s' is not a duration; e.g. 5m, 30s, 0 or -1m (forever)", v);
                r = -1;
            } else {
                c->keep_alive_ns = x < 0 ? INT64_MAX : x;
            }
        } else if (!strcmp(flag, "--version-string")) {
            if (!*v || strlen(v) >= sizeof c->version || strpbrk(v, "\"\\")) {
                fail(err, errlen, "--version-string: '%s' must be 1-63 characters without quotes, e.g. 0.11.4", v);
                r = -1;
            } else {
                snprintf(c->version, sizeof c->version, "%s", v);
            }
        } else if (!strcmp(flag, "--emit-log")) {
            c->emit_log = v;
        } else if (!strcmp(flag, "--ready-file")) {
            c->ready_file = v;
        } else if (!strcmp(flag, "--max-body-bytes")) {
            if (parse_bytes(v, &x) || x < 1024 || x > (1LL << 30)) {
                fail(err, errlen, "--max-body-bytes: '%s' must be 1024 to 1073741824 bytes (K/M suffixes allowed)", v);
                r = -1;
            } else {
                c->max_body = (size_t)x;
            }
        } else if (!strcmp(flag, "--fault")) {
            if (nfaults >= sizeof faults / sizeof faults[0]) {
                fail(err, errlen, "--fault: too many (at most 256)");
                r = -1;
            } else {
                faults[nfaults++] = v; /* applied once every --port is known */
            }
        } else {
            fail(err, errlen, "unknown option '%s' (see --help)", flag);
            r = -1;
        }
        if (r)
            return TDM_SIM_CLI_ERROR;
    }
    if (c->nports == 0 && add_port(c, "11434", err, errlen))
        return TDM_SIM_CLI_ERROR;
    if (c->nmodels == 0) {
        snprintf(c->models[c->nmodels++], sizeof c->models[0], "gemma3:latest");
        snprintf(c->models[c->nmodels++], sizeof c->models[0], "tiny:latest");
    }
    for (size_t i = 0; i < c->nports; i++)
        if (c->ports[i].num_parallel < 0)
            c->ports[i].num_parallel = c->num_parallel;
    for (size_t i = 0; i < nfaults; i++)
        if (apply_fault(c, faults[i], err, errlen))
            return TDM_SIM_CLI_ERROR;
    return TDM_SIM_CLI_RUN;
}
