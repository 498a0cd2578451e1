/* api.c — the APIs an agent may speak, by name and path (see scenario.h). One table, so
 * the YAML loader, the records, provenance and the report spell them alike. */
#include "core/scenario.h"

#include <string.h>

static const struct {
    const char *name;
    const char *path;
} apis[TDM_API_COUNT] = {
    [TDM_API_GENERATE] = {"generate", "/api/generate"},
    [TDM_API_CHAT] = {"chat", "/api/chat"},
    [TDM_API_OPENAI] = {"openai", "/v1/chat/completions"},
};

const char *tdm_api_name(tdm_api api)
{
    return (unsigned)api < TDM_API_COUNT ? apis[api].name : "?";
}

const char *tdm_api_path(tdm_api api)
{
    return (unsigned)api < TDM_API_COUNT ? apis[api].path : "/";
}

int tdm_api_from_name(const char *name, tdm_api *out)
{
    for (int i = 0; name && i < TDM_API_COUNT; i++)
        if (strcmp(apis[i].name, name) == 0) {
            *out = (tdm_api)i;
            return 0;
        }
    return -1;
}

bool tdm_api_has_messages(tdm_api api)
{
    return api == TDM_API_CHAT || api == TDM_API_OPENAI;
}
