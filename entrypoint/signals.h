/*
 * signals: PID-1-safe handling of SIGTERM and SIGINT.
 *
 * In a scratch container flux is PID 1, where the kernel drops signals
 * that have no handler. The first SIGTERM/SIGINT sets db_interrupted
 * (1 = TERM, 2 = INT), has the running statement cancelled without
 * waiting for it (db_cancel_from_signal) and arms a 1.5 s deadline
 * (SIGALRM) that exits 143/130 if the rollback has not ended the run by
 * then: a partition or a stopped server never answers. A second signal
 * exits at once with 143/130, and so does the first when no connection
 * is open yet.
 * SIGPIPE is ignored so a closed stdout is a write error, not a death.
 */
#ifndef FLUX_SIGNALS_H
#define FLUX_SIGNALS_H

#include <stdbool.h>

void signals_install(void);

/*
 * Where and how the signal path reports the outcome when it ends the run
 * itself (the deadline, a second signal, a signal while connecting): the
 * Kubernetes termination message (main.c's write_termination_log for
 * every other exit). path: the file (copied; NULL or too long: none);
 * create: create it if missing (FLUX_TERMINATION_LOG was set);
 * term_head, int_head: the line's start for SIGTERM and SIGINT, "flux
 * CMD failed: exit 143 (interrupted by SIGTERM)" (copied, cut to fit).
 */
void signals_set_note(const char *path, bool create, const char *term_head,
		      const char *int_head);

#endif
