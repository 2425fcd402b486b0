#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "db.h"

/*
 * After the first signal the run must end within 2 s whatever the server
 * or the network does: the cancel may never arrive (a partition) or never
 * be served (a stopped server), and the rollback may never be answered.
 */
#define SIGNAL_DEADLINE_MS 1500

static volatile sig_atomic_t exit_code = 143;

static void on_deadline(int sig)
{
	(void)sig;
	_exit(exit_code);
}

static void on_signal(int sig)
{
	int code = sig == SIGINT ? 130 : 143;
	int saved = errno;
	struct itimerval deadline = { { 0, 0 },
				      { SIGNAL_DEADLINE_MS / 1000,
					(SIGNAL_DEADLINE_MS % 1000) * 1000 } };

	if (db_interrupted)
		_exit(code);
	db_interrupted = sig == SIGINT ? 2 : 1;
	exit_code = code;
	/* setitimer is a plain system call on Linux (glibc and musl). */
	setitimer(ITIMER_REAL, &deadline, NULL);
	/*
	 * Not connected yet (waiting for the server): nothing to roll back,
	 * and libpq may sit in a connect attempt for seconds, so leave now.
	 */
	if (!db_cancel_from_signal())
		_exit(code);
	errno = saved;
}

void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_deadline;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
