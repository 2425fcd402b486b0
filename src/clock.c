#include "clock.h"

#include <time.h>

long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

long clock_backoff(long prev_ms, long cap_ms)
{
	long next = prev_ms <= 0 ? 10 : prev_ms * 2;

	return next > cap_ms ? cap_ms : next;
}
