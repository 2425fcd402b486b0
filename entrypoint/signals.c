#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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

/*
 * The termination message of an exit from here, prepared beforehand:
 * the handler may only open, write and close (async-signal-safe).
 */
static char note_path[1024];
static char note_term[256], note_int[256];
static bool note_create;

void signals_set_note(const char *path, bool create, const char *term_head,
		      const char *int_head)
{
	size_t len = path ? strlen(path) : 0;

	note_path[0] = '\0';
	if (!len || len >= sizeof(note_path))
		return;
	snprintf(note_term, sizeof(note_term), "%s", term_head);
	snprintf(note_int, sizeof(note_int), "%s", int_head);
	note_create = create;
	memcpy(note_path, path, len + 1);
}

static void put(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t w;

	while (len) {
		w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

/* Write the termination message, then exit with code. */
static void leave(int code, const char *why)
{
	int fd;

	if (note_path[0]) {
		/* As write_termination_log: O_NONBLOCK, a FIFO nobody reads is no hang. */
		fd = open(note_path,
			  O_WRONLY | O_TRUNC | O_NOCTTY | O_NONBLOCK |
				  (note_create ? O_CREAT : 0),
			  0644);
		if (fd >= 0) {
			put(fd, code == 130 ? note_int : note_term);
			put(fd, ": ");
			put(fd, why);
			put(fd, "\n");
			close(fd);
		}
	}
	_exit(code);
}

static void on_deadline(int sig)
{
	(void)sig;
	leave(exit_code,
	      "the cancelled migration's rollback was not confirmed within 1.5 s; "
	      "the server rolls back what was not committed");
}

static void on_signal(int sig)
{
	int code = sig == SIGINT ? 130 : 143;
	int saved = errno;
	struct itimerval deadline = { { 0, 0 },
				      { SIGNAL_DEADLINE_MS / 1000,
					(SIGNAL_DEADLINE_MS % 1000) * 1000 } };

	if (db_interrupted)
		leave(code,
		      "a second signal: stopped at once; the server rolls back what was "
		      "not committed");
	db_interrupted = sig == SIGINT ? 2 : 1;
	exit_code = code;
	/* setitimer is a plain system call on Linux (glibc and musl). */
	setitimer(ITIMER_REAL, &deadline, NULL);
	/*
	 * Not connected yet (waiting for the server): nothing to roll back,
	 * and libpq may sit in a connect attempt for seconds, so leave now.
	 */
	if (!db_cancel_from_signal())
		leave(code, "no database connection was open: stopped at once");
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
