/* workflow_board.h — what a workflow's steps wait on during one phase: which steps have
 * finished, when, and with what text, and in the sequential phase whose turn it is.
 *
 * One board is shared by every job of a phase, on whatever threads the runtime runs
 * them: a mutex guards it, a condition variable wakes threads that block, and the
 * runtime's change function (tdm_board_on_change) wakes event loops, which then ask
 * their held jobs again (tdm_job_due). The board never starts a call itself. */
#ifndef TDM_WORKFLOW_BOARD_H
#define TDM_WORKFLOW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/scenario.h"

/* tdm_board_ready_at: the step waits for another step to finish. */
#define TDM_DUE_WAIT INT64_MAX

typedef struct tdm_board tdm_board;

/* A board for the scenario's steps. order (n entries, copied) makes the phase serial:
 * each step waits for the one before it in order; NULL: steps wait only for their
 * dependencies. NULL when out of memory. */
tdm_board *tdm_board_new(const tdm_scenario *s, const tdm_step_ref *order, size_t n);
void tdm_board_free(tdm_board *b);

/* The runtime's wake-up, called (from any thread, possibly inside the runtime's own
 * callbacks: it must only schedule work) each time a step finishes. */
void tdm_board_on_change(tdm_board *b, void (*fn)(void *ud), void *ud);

/* When the step's inputs exist: the latest finish of the steps it waits for (0 when it
 * waits for none), or TDM_DUE_WAIT while one is unfinished (or, serial, while it is not
 * its turn). *failed is set to a step it waits for that failed or was skipped (the step
 * cannot run then); NULL otherwise. */
int64_t tdm_board_inputs_at(tdm_board *b, size_t agent, size_t step, tdm_step_ref *failed, bool *has_failed);

/* The step finished (ok, failed or skipped): its record stays readable (its text) for
 * the board's life. Wakes every waiter. */
void tdm_board_step_done(tdm_board *b, size_t agent, size_t step, const tdm_call_record *rec);

/* The text a finished step generated ("" when it produced none). Only for steps that
 * tdm_board_inputs_at has reported finished. */
const char *tdm_board_text(tdm_board *b, size_t agent, size_t step);

/* How many steps have finished so far: read it before asking what a step waits for,
 * then wait with it, and a step that finishes in between is not missed. */
uint64_t tdm_board_generation(tdm_board *b);
/* Blocks until a step finishes after generation gen was read, or until the client clock
 * reaches until_ns. */
void tdm_board_wait(tdm_board *b, uint64_t gen, int64_t until_ns);

#endif
