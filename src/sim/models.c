/* models.c — model catalogue, listings and residency (see models.h). */
#include "sim/models.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim/rng.h"
#include "core/sha256.h"
#include "sim/wire.h"

/* Models the simulator knows by name, with their real published sizes and the shape the
 * real /api/show gives in model_info (the ollama CLI's `show` reads parameter_count,
 * context_length and embedding_length, and panics without them). tiny is the project's
 * generated test model (scripts/ollama/make-tiny-model.py), as the real server shows it. */
static const struct {
    const char *name;
    int64_t size;
    const char *family;
    const char *params;
    int64_t ctx;
    int64_t param_count, embedding, blocks, heads, heads_kv;
} KNOWN[] = {
    {"gemma3:latest", 3338801804LL, "gemma3", "4.3B", 131072, 4299915632LL, 2560, 34, 8, 4},
    {"tiny:latest", 1300000LL, "llama", "1.2M", 4096, 186560LL, 64, 2, 4, 4},
    {"llama3.2:latest", 2019393189LL, "llama", "3.2B", 131072, 3212749888LL, 3072, 28, 24, 8},
    {"qwen2.5:latest", 4683087332LL, "qwen2", "7.6B", 32768, 7615616512LL, 3584, 28, 28, 4},
};

int tdm_sim_model_normalize(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n == 0)
        return -1;
    const char *slash = strrchr(in, '/');
    const char *base = slash ? slash + 1 : in;
    bool tagged = strchr(base, ':') != NULL;
    int w = snprintf(out, outlen, "%s%s", in, tagged ? "" : ":latest");
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int tdm_sim_model_init(tdm_sim_model *m, const char *name)
{
    memset(m, 0, sizeof *m);
    if (tdm_sim_model_normalize(name, m->name, sizeof m->name) != 0)
        return -1;
    tdm_sha256_hex(m->name, strlen(m->name), m->digest);
    m->quantization = "Q4_K_M";
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i].name, m->name) == 0) {
            m->size = KNOWN[i].size;
            snprintf(m->family, sizeof m->family, "%s", KNOWN[i].family);
            snprintf(m->parameter_size, sizeof m->parameter_size, "%s", KNOWN[i].params);
            m->context_length = KNOWN[i].ctx;
            m->param_count = KNOWN[i].param_count;
            m->embedding_length = KNOWN[i].embedding;
            m->block_count = KNOWN[i].blocks;
            m->head_count = KNOWN[i].heads;
            m->head_count_kv = KNOWN[i].heads_kv;
            return 0;
        }
    /* Unknown names: a stable size from the name, and the family from its letters. */
    uint64_t h = tdm_sim_hash64(m->name, strlen(m->name), 3);
    m->size = 500000000LL + (int64_t)(h % 4500000000ULL);
    const char *slash = strrchr(m->name, '/');
    const char *base = slash ? slash + 1 : m->name;
    size_t f = 0;
    while (base[f] && f + 1 < sizeof m->family &&
           ((base[f] >= 'a' && base[f] <= 'z') || (base[f] >= 'A' && base[f] <= 'Z')))
        f++;
    snprintf(m->family, sizeof m->family, "%.*s", (int)f, base);
    if (f == 0)
        snprintf(m->family, sizeof m->family, "llama");
    /* Q4_K_M stores about 4.8 bits per parameter. */
    snprintf(m->parameter_size, sizeof m->parameter_size, "%.1fB",
             (double)m->size * 8.0 / 4.8 / 1e9);
    m->context_length = 8192;
    m->param_count = (int64_t)((double)m->size * 8.0 / 4.8);
    m->embedding_length = 4096; /* a 7-8B model's shape */
    m->block_count = 32;
    m->head_count = 32;
    m->head_count_kv = 8;
    return 0;
}

int tdm_sim_model_find(const tdm_sim_model *models, size_t n, const char *name)
{
    char norm[sizeof models[0].name];
    if (tdm_sim_model_normalize(name, norm, sizeof norm) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(models[i].name, norm) == 0) /* Ollama matches names ignoring case */
            return (int)i;
    return -1;
}

static int str_field(tdm_buf *b, const char *prefix, const char *s)
{
    int r = tdm_buf_append_str(b, prefix);
    return r ? r : tdm_sim_json_str(b, s, strlen(s));
}

static int details(tdm_buf *b, const tdm_sim_model *m)
{
    int r = tdm_buf_append_str(b, "\"details\":{\"parent_model\":\"\",\"format\":\"gguf\"");
    r = r ? r : str_field(b, ",\"family\":", m->family);
    r = r ? r : str_field(b, ",\"families\":[", m->family);
    r = r ? r : str_field(b, "],\"parameter_size\":", m->parameter_size);
    r = r ? r : str_field(b, ",\"quantization_level\":", m->quantization);
    return r ? r : tdm_buf_append_str(b, "}");
}

static int name_model(tdm_buf *b, const tdm_sim_model *m)
{
    int r = str_field(b, "{\"name\":", m->name);
    return r ? r : str_field(b, ",\"model\":", m->name);
}

int tdm_sim_wire_tags(tdm_buf *b, const tdm_sim_model *models, size_t n)
{
    int r = tdm_buf_append_str(b, "{\"models\":[");
    for (size_t i = 0; i < n && !r; i++) {
        const tdm_sim_model *m = &models[i];
        r = i ? tdm_buf_append_str(b, ",") : 0;
        r = r ? r : name_model(b, m);
        r = r ? r : tdm_buf_printf(b, ",\"modified_at\":\"%s\",\"size\":%lld,\"digest\":\"%s\",",
                                   TDM_SIM_MODIFIED_AT, (long long)m->size, m->digest);
        r = r ? r : details(b, m);
        r = r ? r : tdm_buf_append_str(b, "}");
    }
    return r ? r : tdm_buf_append_str(b, "]}");
}

int tdm_sim_wire_show(tdm_buf *b, const tdm_sim_model *m)
{
    char modelfile[512];
    snprintf(modelfile, sizeof modelfile,
             "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM %s\n\nFROM tandem-sim/%s\nTEMPLATE {{ .Prompt }}\n",
             m->name, m->digest);
    int r = tdm_buf_append_str(b, "{\"license\":\"simulated model: no weights, no licence\"");
    r = r ? r : str_field(b, ",\"modelfile\":", modelfile);
    r = r ? r : str_field(b, ",\"parameters\":", "temperature 0");
    r = r ? r : str_field(b, ",\"template\":", "{{ .Prompt }}");
    r = r ? r : tdm_buf_append_str(b, ",");
    r = r ? r : details(b, m);
    /* model_info's keys in the real server's order (sorted), the architecture's own ones
     * named after it */
    r = r ? r : str_field(b, ",\"model_info\":{\"general.architecture\":", m->family);
    r = r ? r : tdm_buf_printf(b, ",\"general.file_type\":15,\"general.parameter_count\":%lld",
                               (long long)m->param_count);
    static const char *const KEYS[] = {"attention.head_count", "attention.head_count_kv", "block_count",
                                       "context_length", "embedding_length"};
    const int64_t vals[] = {m->head_count, m->head_count_kv, m->block_count, m->context_length,
                            m->embedding_length};
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0] && !r; k++) {
        char key[128];
        snprintf(key, sizeof key, "%s.%s", m->family, KEYS[k]);
        r = tdm_buf_append_str(b, ",");
        r = r ? r : tdm_sim_json_str(b, key, strlen(key));
        r = r ? r : tdm_buf_printf(b, ":%lld", (long long)vals[k]);
    }
    r = r ? r : tdm_buf_append_str(b, "}");
    /* Ollama lists the GGUF's tensors; two stand in for them (the simulator has none). */
    r = r ? r : tdm_buf_printf(b, ",\"tensors\":[{\"name\":\"token_embd.weight\",\"type\":\"Q4_K\","
                                  "\"shape\":[2048,32000]},{\"name\":\"output_norm.weight\","
                                  "\"type\":\"F32\",\"shape\":[2048]}]");
    r = r ? r : tdm_buf_printf(b, ",\"capabilities\":[\"completion\"],\"modified_at\":\"%s\"}",
                               TDM_SIM_MODIFIED_AT);
    return r;
}

int64_t tdm_sim_loaded_acquire(tdm_sim_loaded *l, int64_t t, int64_t load_ns,
                               int64_t keep_alive_ns)
{
    int64_t ready;
    if (l->state == TDM_SIM_LOADING && l->ready_ns > t && tdm_sim_loaded_resident(l, t)) {
        ready = l->ready_ns; /* join the load already under way */
    } else if (tdm_sim_loaded_resident(l, t)) {
        l->state = TDM_SIM_LOADED;
        ready = t;
    } else {
        l->state = TDM_SIM_LOADING;
        l->ready_ns = t + (load_ns > 0 ? load_ns : 0);
        ready = l->ready_ns;
    }
    l->refs++;
    l->keep_alive_ns = keep_alive_ns;
    return ready;
}

void tdm_sim_loaded_release(tdm_sim_loaded *l, int64_t t, int64_t keep_alive_ns)
{
    if (l->refs > 0)
        l->refs--;
    l->keep_alive_ns = keep_alive_ns;
    if (l->refs == 0) {
        if (keep_alive_ns == INT64_MAX)
            l->expires_ns = INT64_MAX;
        else
            l->expires_ns = keep_alive_ns > INT64_MAX - t ? INT64_MAX : t + keep_alive_ns;
        if (l->expires_ns <= t)
            l->state = TDM_SIM_UNLOADED;
    }
}

void tdm_sim_loaded_unload(tdm_sim_loaded *l, int64_t t)
{
    l->expires_ns = t;
    l->keep_alive_ns = 0;
    if (l->refs == 0)
        l->state = TDM_SIM_UNLOADED;
}

bool tdm_sim_loaded_resident(const tdm_sim_loaded *l, int64_t t)
{
    if (l->state == TDM_SIM_UNLOADED)
        return false;
    return l->refs > 0 || l->expires_ns > t;
}

int tdm_sim_wire_ps(tdm_buf *b, const tdm_sim_model *models, const tdm_sim_loaded *loaded,
                    size_t n, int64_t mono_now, int64_t wall_now_ns, double vram_pct)
{
    int r = tdm_buf_append_str(b, "{\"models\":[");
    bool first = true;
    for (size_t i = 0; i < n && !r; i++) {
        const tdm_sim_loaded *l = &loaded[i];
        if (!tdm_sim_loaded_resident(l, mono_now))
            continue;
        /* In use: Ollama shows now + keep_alive; idle: when it will unload. */
        int64_t wall;
        if (l->refs > 0)
            wall = l->keep_alive_ns > INT64_MAX / 2 ? INT64_MAX : wall_now_ns + l->keep_alive_ns;
        else
            wall = l->expires_ns == INT64_MAX ? INT64_MAX
                                              : wall_now_ns + (l->expires_ns - mono_now);
        char when[48];
        /* Forever: Ollama shows now + MaxInt64 ns (keep_alive -1 reads as the year 2318
         * or so), computed in seconds here so it cannot overflow. */
        if (wall == INT64_MAX) {
            int64_t sec = wall_now_ns / 1000000000LL + INT64_MAX / 1000000000LL;
            long nsec = (long)(wall_now_ns % 1000000000LL + INT64_MAX % 1000000000LL);
            if (nsec >= 1000000000L)
                sec++, nsec -= 1000000000L;
            tdm_sim_rfc3339nano(sec, nsec, when, sizeof when);
        } else
            tdm_sim_rfc3339nano(wall / 1000000000LL, (long)(wall % 1000000000LL), when,
                                sizeof when);
        const tdm_sim_model *m = &models[i];
        r = first ? 0 : tdm_buf_append_str(b, ",");
        first = false;
        r = r ? r : name_model(b, m);
        r = r ? r : tdm_buf_printf(b, ",\"size\":%lld,\"digest\":\"%s\",", (long long)m->size,
                                   m->digest);
        r = r ? r : details(b, m);
        r = r ? r : tdm_buf_printf(b, ",\"expires_at\":\"%s\",\"size_vram\":%lld,\"context_length\":%d}",
                                   when, (long long)((double)m->size * vram_pct / 100.0), 4096);
    }
    return r ? r : tdm_buf_append_str(b, "]}");
}
