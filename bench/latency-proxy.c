/*
 * latency-proxy: a TCP proxy on loopback that delays every chunk of data by
 * a fixed time in each direction, for bench/run.sh (a database "far away").
 *
 *   latency-proxy -t TARGET_PORT -d DELAY_US -p PORT_FILE [-m MAX_SECONDS] [-r] [-v]
 *
 * It listens on 127.0.0.1 on a port the kernel picks, writes that port to
 * PORT_FILE (written whole, then renamed into place), and forwards every
 * connection to 127.0.0.1:TARGET_PORT. Only loopback is ever contacted: the
 * target host is not an argument.
 *
 * Faithful forwarding: each read() from one side becomes one chunk stamped
 * with its arrival time; a chunk is written to the other side DELAY_US after
 * it arrived, never earlier, chunks in arrival order, one write per chunk
 * (TCP_NODELAY on both sockets, so the kernel does not hold them back
 * either). Chunks are never merged or reordered, so a request that a client
 * sends in one piece reaches the server in one piece one delay later, and a
 * client that waits for each answer pays two delays per round trip. Not
 * delayed: the TCP handshake of each connection (the kernel completes it),
 * one round trip per connection.
 *
 * One thread, ppoll() with a nanosecond timeout and a 1 us timer slack. A
 * sleeping process wakes some tens of microseconds after its timer (more on
 * a busy machine), so the proxy sleeps until a little before the next due
 * chunk, by how late it has been waking lately (a moving average, at most
 * EARLY_MAX), and polls without sleeping from there: a chunk leaves within
 * some microseconds of its due time, at the cost of a few percent of a CPU.
 * With -s it never polls without sleeping (early is 0): chunks leave a
 * wake-up late (tens of microseconds), and no CPU is taken from the server,
 * which on a machine of two CPUs matters more.
 * With -r it asks for real-time scheduling (SCHED_FIFO, lowest priority;
 * allowed to root), so that a network link, which does not wait for a CPU,
 * is not slowed by a busy machine either; without it, or when refused (said
 * on stderr), it runs as an ordinary process.
 * Backpressure: a direction holding QUEUE_MAX bytes stops reading
 * until it drains. An end of file is passed on (shutdown(SHUT_WR)) once
 * everything before it is written; an error on either socket closes the
 * connection.
 *
 * It stops by itself: after MAX_SECONDS (default 3600, SIGALRM's default
 * action), or when its parent dies (PR_SET_PDEATHSIG); bench/run.sh also
 * kills it by PID when it is done. Exit status 2 on a usage or set-up error.
 * With -v it prints to stderr, as each connection closes, how late chunks
 * have left so far (bench/run.sh shows the last such line).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define READ_MAX 65536
#define QUEUE_MAX (8u << 20)
#define EARLY_MAX 300000 /* ns: at most this long spent polling without sleep */

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len, off;
	char data[];
};

/* One direction of a connection: bytes read from `from`, written to `to`. */
struct dir {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	int eof;     /* `from` reached end of file */
	int shut;    /* the end of file was passed on to `to` */
	int blocked; /* the last write was partial: wait for POLLOUT */
};

/* d[0]: client to server; d[1]: server to client. */
struct conn {
	int used;
	int fd[2];
	struct dir d[2];
};

static struct conn conns[MAX_CONNS];
static int64_t delay_ns;

/* -v: how late chunks left, over all connections, printed at each close. */
static int verbose;
static int64_t chunks, late_sum_ns, late_max_ns, late_over_100us;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "latency-proxy: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: latency-proxy -t TARGET_PORT -d DELAY_US -p PORT_FILE "
			"[-m MAX_SECONDS] [-r] [-s] [-v]\n");
	exit(2);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "latency-proxy: '%s' is not a number from %ld to %ld\n", s, min, max);
		exit(2);
	}
	return v;
}

static int tune(int fd)
{
	int one = 1;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void conn_close(struct conn *c)
{
	if (verbose)
		fprintf(stderr, "latency-proxy: %lld chunks so far, late by %.1f us on average, "
				"%lld more than 100 us, at most %.1f us\n",
			(long long)chunks, chunks ? late_sum_ns / 1e3 / (double)chunks : 0.0,
			(long long)late_over_100us, late_max_ns / 1e3);
	for (int i = 0; i < 2; i++) {
		struct chunk *k = c->d[i].head;

		while (k) {
			struct chunk *next = k->next;

			free(k);
			k = next;
		}
		close(c->fd[i]);
	}
	memset(c, 0, sizeof(*c));
}

static void conn_open(int listener, int target_port)
{
	struct sockaddr_in to = loopback(target_port);
	struct conn *c = NULL;
	int cfd, sfd;

	cfd = accept(listener, NULL, NULL);
	if (cfd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (!conns[i].used) {
			c = &conns[i];
			break;
		}
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	/* Loopback: connect() completes (or is refused) at once. */
	if (!c || sfd < 0 || connect(sfd, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    tune(cfd) < 0 || tune(sfd) < 0) {
		if (!c)
			fprintf(stderr, "latency-proxy: more than %d connections\n", MAX_CONNS);
		else
			fprintf(stderr, "latency-proxy: cannot reach 127.0.0.1:%d: %s\n",
				target_port, strerror(errno));
		close(cfd);
		if (sfd >= 0)
			close(sfd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->used = 1;
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	c->d[0].from = cfd;
	c->d[0].to = sfd;
	c->d[1].from = sfd;
	c->d[1].to = cfd;
}

/* Read one chunk from d->from, stamped with its arrival time. -1: error. */
static int dir_read(struct dir *d)
{
	struct chunk *k = malloc(sizeof(*k) + READ_MAX);
	ssize_t n;

	if (!k) {
		fprintf(stderr, "latency-proxy: out of memory\n");
		exit(2);
	}
	n = recv(d->from, k->data, READ_MAX, 0);
	if (n <= 0) {
		free(k);
		if (n == 0) {
			d->eof = 1;
			return 0;
		}
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	}
	k->next = NULL;
	k->due_ns = now_ns() + delay_ns;
	k->len = (size_t)n;
	k->off = 0;
	if (d->tail)
		d->tail->next = k;
	else
		d->head = k;
	d->tail = k;
	d->queued += (size_t)n;
	return 0;
}

/* Write every chunk that is due, in order. -1: error. */
static int dir_flush(struct dir *d, int64_t now)
{
	d->blocked = 0;
	while (d->head && d->head->due_ns <= now) {
		struct chunk *k = d->head;
		ssize_t n;

		if (k->off == 0) {
			int64_t late = now_ns() - k->due_ns;

			chunks++;
			late_sum_ns += late;
			late_over_100us += late > 100000;
			if (late > late_max_ns)
				late_max_ns = late;
		}
		n = send(d->to, k->data + k->off, k->len - k->off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				d->blocked = 1;
				return 0;
			}
			return -1;
		}
		k->off += (size_t)n;
		d->queued -= (size_t)n;
		if (k->off < k->len) {
			d->blocked = 1;
			return 0;
		}
		d->head = k->next;
		if (!d->head)
			d->tail = NULL;
		free(k);
	}
	if (d->eof && !d->head && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *port_file = NULL;
	long target_port = -1, max_seconds = 3600;
	struct sockaddr_in addr = loopback(0);
	socklen_t alen = sizeof(addr);
	char tmp[4096];
	FILE *f;
	int listener, opt, one = 1;
	int64_t late_avg = 0, early = 0;
	int realtime = 0, sleep_only = 0;

	delay_ns = -1;
	while ((opt = getopt(argc, argv, "t:d:p:m:rsv")) != -1) {
		switch (opt) {
		case 't': target_port = number(optarg, 1, 65535); break;
		case 'd': delay_ns = number(optarg, 0, 10000000) * 1000; break;
		case 'p': port_file = optarg; break;
		case 'm': max_seconds = number(optarg, 1, 86400); break;
		case 'r': realtime = 1; break;
		case 's': sleep_only = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc || target_port < 0 || delay_ns < 0 || !port_file)
		usage();

	alarm((unsigned)max_seconds);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_TIMERSLACK, 1UL);
	signal(SIGPIPE, SIG_IGN);
	if (realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			fprintf(stderr, "latency-proxy: no real-time priority (%s): "
					"delays stretch when the CPUs are busy\n", strerror(errno));
	}

	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0)
		die("socket");
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind 127.0.0.1");
	if (listen(listener, 16) < 0)
		die("listen");
	if (getsockname(listener, (struct sockaddr *)&addr, &alen) < 0)
		die("getsockname");
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", port_file) >= (int)sizeof(tmp)) {
		fprintf(stderr, "latency-proxy: port file name too long\n");
		return 2;
	}
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	fprintf(f, "%d\n", ntohs(addr.sin_port));
	if (fclose(f) != 0 || rename(tmp, port_file) != 0)
		die(port_file);

	for (;;) {
		struct pollfd pfd[1 + 2 * MAX_CONNS];
		struct conn *owner[1 + 2 * MAX_CONNS];
		int side[1 + 2 * MAX_CONNS];
		int64_t next = INT64_MAX, wake, now;
		struct timespec ts;
		nfds_t n = 0;
		int ready;

		pfd[n].fd = listener;
		pfd[n].events = POLLIN;
		owner[n] = NULL;
		side[n++] = 0;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (!c->used)
				continue;
			for (int s = 0; s < 2; s++) {
				/* fd[s] is read for d[s] and written for d[1 - s]. */
				struct dir *in = &c->d[s], *out = &c->d[1 - s];

				pfd[n].fd = c->fd[s];
				pfd[n].events = 0;
				if (!in->eof && in->queued < QUEUE_MAX)
					pfd[n].events |= POLLIN;
				if (out->blocked)
					pfd[n].events |= POLLOUT;
				else if (out->head && out->head->due_ns < next)
					next = out->head->due_ns;
				/* Nothing to wait for on it: a hang-up after both ends
				 * shut down must not wake the loop until it closes. */
				if (!pfd[n].events)
					pfd[n].fd = -1;
				owner[n] = c;
				side[n++] = s;
			}
		}
		wake = INT64_MAX;
		if (next != INT64_MAX) {
			/* Sleep until `early` before the due time, then poll without
			 * sleeping: the chunk leaves on time, not a wake-up late. */
			int64_t wait = next - early - now_ns();

			if (wait < 0)
				wait = 0;
			else
				wake = next - early;
			ts.tv_sec = (time_t)(wait / 1000000000);
			ts.tv_nsec = (long)(wait % 1000000000);
		}
		ready = ppoll(pfd, n, next == INT64_MAX ? NULL : &ts, NULL);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		if (ready == 0 && wake != INT64_MAX) {
			/* How late the kernel woke us: a moving average, plus a margin. */
			int64_t late = now_ns() - wake;

			late_avg += (late - late_avg) / 8;
			early = late_avg + 20000;
			if (early < 0 || sleep_only)
				early = 0;
			if (early > EARLY_MAX)
				early = EARLY_MAX;
		}
		if (pfd[0].revents & POLLIN)
			conn_open(listener, (int)target_port);
		for (nfds_t j = 1; j < n; j++) {
			struct conn *c = owner[j];

			if (!c->used || !(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (pfd[j].revents & POLLERR) {
				/* a reset: nothing more can be passed on either way */
				conn_close(c);
				continue;
			}
			if (!c->d[side[j]].eof && dir_read(&c->d[side[j]]) < 0)
				conn_close(c);
		}
		now = now_ns();
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (!c->used)
				continue;
			if (dir_flush(&c->d[0], now) < 0 || dir_flush(&c->d[1], now) < 0 ||
			    (c->d[0].shut && c->d[1].shut))
				conn_close(c);
		}
	}
}
