/*
 * log: one line per event on stderr, as text or as one JSON object.
 *
 * The format and threshold are chosen once with log_setup() (before it:
 * text, info). Text lines look like `flux: warning: msg`; JSON lines carry
 * ts, level, event, msg and the optional fields of struct log_fields.
 * One event is one line in both: text escapes control bytes in the
 * message (`\n`, `\r`, `\x1b`; tab is kept), JSON escapes them as JSON does.
 * Messages start lowercase and say what failed first. Never pass secrets.
 * May depend on sb, xalloc and libc only.
 */
#ifndef FLUX_LOG_H
#define FLUX_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARNING, LOG_ERROR };
enum log_format { LOG_TEXT = 0, LOG_JSON };

/* Optional structured fields; unset ones are NULL or -1. */
struct log_fields {
	const char *id;
	long ms;
	const char *sqlstate;
	const char *file;
	int line;
};
#define LOG_FIELDS_INIT                  \
	{                                \
		NULL, -1, NULL, NULL, -1 \
	}

void log_setup(enum log_level threshold, enum log_format format);
const char *log_level_name(enum log_level level);

__attribute__((format(printf, 4, 5))) void log_emit(enum log_level level,
						    const char *event,
						    const struct log_fields *fields,
						    const char *fmt, ...);

#define log_debug(event, ...) log_emit(LOG_DEBUG, event, NULL, __VA_ARGS__)
#define log_info(event, ...) log_emit(LOG_INFO, event, NULL, __VA_ARGS__)
#define log_warn(event, ...) log_emit(LOG_WARNING, event, NULL, __VA_ARGS__)
#define log_error(event, ...) log_emit(LOG_ERROR, event, NULL, __VA_ARGS__)

#endif
