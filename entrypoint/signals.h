/*
 * signals: PID-1-safe handling of SIGTERM and SIGINT.
 *
 * In a scratch container flux is PID 1, where the kernel drops signals
 * that have no handler. The first SIGTERM/SIGINT sets db_interrupted
 * (1 = TERM, 2 = INT) and cancels the running statement through the
 * registered PGcancel; a second one exits at once with 143/130, and so
 * does the first when no connection is open yet.
 * SIGPIPE is ignored so a closed stdout is a write error, not a death.
 */
#ifndef FLUX_SIGNALS_H
#define FLUX_SIGNALS_H

void signals_install(void);

#endif
