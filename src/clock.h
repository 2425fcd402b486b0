/*
 * clock: monotonic milliseconds and interruptible sleeps for the wait and
 * lock loops. May depend on libc only.
 */
#ifndef FLUX_CLOCK_H
#define FLUX_CLOCK_H

/* Milliseconds on a monotonic clock (arbitrary origin). */
long long clock_ms(void);

/* Sleep for ms milliseconds (a signal may cut it short). */
void clock_sleep_ms(long ms);

/* Next backoff step: doubles from 10 ms, capped at cap_ms. */
long clock_backoff(long prev_ms, long cap_ms);

#endif
