/* run_record.c — what a finished cell records about itself: its cell.json (who ran it,
 * with which command, how it ended, the pins expected and found), and the sweep's pin
 * verdict added to the run's provenance.json, where the report looks for runs accepted
 * despite a mismatch. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/fileio.h"
#include "sweep/plan.h"
#include "sweep/run_int.h"

/* cell.json's content, status and reason as the cell ended (NULL when out of memory). */
json_t *tdm_sweep_cell_json(tdm_sweep_runner *r, size_t i, char **argv, const char *status, const char *reason)
{
    tdm_sweep_ctx *c = r->c;
    const tdm_sweep_cell *cell = &c->cells[i];
    const tdm_sweep_config *cf = &c->e.configs[cell->config];
    const tdm_sweep_point *pt = tdm_sweep_cell_point(c, i);
    const tdm_cell_rec *rec = &r->m.cells[i];
    char *cmd = tdm_sweep_shell_join(argv);
    json_t *av = json_array();
    for (size_t k = 0; argv[k]; k++)
        json_array_append_new(av, json_string(argv[k]));
    json_t *servers = json_array();
    for (size_t u = 0; u < pt->n_urls; u++)
        json_array_append_new(servers, tdm_pincheck_json(&r->pins[tdm_sweep_url_index(c, pt->urls[u])]));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:s, s:o}", "id", rec->id, "variant",
                          c->e.variants[cell->variant], "configuration", cf->name, "repetition", cell->repetition,
                          "block", cell->block, "order_index", (json_int_t)cell->order_index, "command",
                          cmd ? cmd : "", "argv", av);
    free(cmd);
    if (!o)
        return NULL;
    json_object_set_new(o, "scenario", json_string(cf->builtin ? cf->builtin : cf->scenario_path));
    json_object_set_new(o, "started_at", json_string(rec->started_at));
    json_object_set_new(o, "finished_at", json_string(rec->finished_at));
    json_object_set_new(o, "duration_s", json_real(rec->duration_s));
    json_object_set_new(o, "exit_status", json_integer(rec->exit_status));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(o, "attempts", json_integer(rec->attempts));
    json_object_set_new(o, "pins_ok", json_boolean(tdm_sweep_cell_pins_ok(r, pt)));
    json_object_set_new(o, "pin_mismatches", tdm_sweep_cell_pin_mismatches(r, pt));
    /* The point of the axes this cell measured, and its server group ({} and 1 without axes). */
    json_t *axes = json_object();
    for (int a = 0; a < TDM_AXIS_COUNT; a++) {
        int64_t v;
        if (tdm_sweep_point_value(&c->e, cell->point, (tdm_sweep_axis_id)a, &v))
            json_object_set_new(axes, tdm_sweep_axis_name((tdm_sweep_axis_id)a),
                                a == TDM_AXIS_ARRIVAL_RATE
                                    ? json_real(tdm_sweep_axis_value_number(TDM_AXIS_ARRIVAL_RATE, v))
                                    : json_integer((json_int_t)v));
    }
    json_object_set_new(o, "axes", axes);
    json_object_set_new(o, "server_group", json_integer((json_int_t)cell->group + 1));
    json_object_set_new(o, "agents", json_integer((json_int_t)pt->n_agents));
    json_object_set_new(o, "allow_unpinned", json_boolean(c->o->allow_unpinned));
    json_object_set_new(o, "pins", tdm_sweep_pins_expected(&c->e));
    json_object_set_new(o, "servers", servers);
    json_object_set_new(o, "experiment", json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->e.name, "path",
                                                   c->e.path, "sha256", c->e.sha256, "seed", seed, "order",
                                                   c->order == TDM_SWEEP_ORDER_SEQUENTIAL ? "sequential" : "blocks"));
    json_object_set_new(o, "tandem_sweep_version", json_string(TDM_VERSION));
    return o;
}

/* Adds the sweep's pin verdict to the run's provenance.json, where the report looks
 * for runs accepted despite a mismatch, and the locks the sweep held for the cell. */
void tdm_sweep_annotate_provenance(tdm_sweep_runner *r, size_t i, const char *dir, json_t *server_lock)
{
    const tdm_sweep_point *pt = tdm_sweep_cell_point(r->c, i);
    char *p = tdm_path_join(dir, "provenance.json");
    char err[512];
    json_t *prov = p && tdm_path_exists(p) ? tdm_read_json_file(p, err, sizeof err) : NULL;
    if (json_is_object(prov)) {
        json_t *mm = tdm_sweep_cell_pin_mismatches(r, pt);
        json_object_set_new(prov, "pins", json_pack("{s:b, s:o, s:o, s:s}", "matched", tdm_sweep_cell_pins_ok(r, pt),
                                                    "mismatch", mm, "expected", tdm_sweep_pins_expected(&r->c->e),
                                                    "checked_by", "tandem-sweep"));
        /* The cell ran with --no-lock because the sweep held its servers: say so */
        if (server_lock)
            json_object_set(prov, "server_lock", server_lock);
        if (tdm_write_json_atomic(p, prov, err, sizeof err) != 0)
            tdm_sweep_progress(r->c, "warning: %s\n", err);
    }
    json_decref(prov);
    json_decref(server_lock);
    free(p);
}
