#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

static void on_signal(int sig)
{
	int code = sig == SIGINT ? 130 : 143;

	if (db_interrupted)
		_exit(code);
	db_interrupted = sig == SIGINT ? 2 : 1;
	/*
	 * Not connected yet (waiting for the server): nothing to roll back,
	 * and libpq may sit in a connect attempt for seconds, so leave now.
	 */
	if (!db_cancel_from_signal())
		_exit(code);
}

void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
