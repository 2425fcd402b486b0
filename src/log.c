#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "sb.h"
#include "xalloc.h"

static enum log_level log_threshold = LOG_INFO;
static enum log_format log_fmt = LOG_TEXT;

void log_setup(enum log_level threshold, enum log_format format)
{
	log_threshold = threshold;
	log_fmt = format;
	xalloc_log_json(format == LOG_JSON);
}

static int log_enabled(enum log_level level)
{
	return level >= log_threshold;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARNING:
		return "warning";
	case LOG_ERROR:
		return "error";
	}
	return "info";
}

static void add_ts(struct sb *sb)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	sb_addf(sb, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		(long)(tv.tv_usec / 1000));
}

static void emit_json(struct sb *out, enum log_level level, const char *event,
		      const struct log_fields *f, const char *msg)
{
	sb_adds(out, "{\"ts\":\"");
	add_ts(out);
	sb_addf(out, "\",\"level\":\"%s\",\"event\":\"", log_level_name(level));
	sb_add_json(out, event ? event : "log");
	sb_adds(out, "\",\"msg\":\"");
	sb_add_json(out, msg);
	sb_adds(out, "\"");
	if (f) {
		if (f->id) {
			sb_adds(out, ",\"id\":\"");
			sb_add_json(out, f->id);
			sb_adds(out, "\"");
		}
		if (f->ms >= 0)
			sb_addf(out, ",\"ms\":%ld", f->ms);
		if (f->sqlstate) {
			sb_adds(out, ",\"sqlstate\":\"");
			sb_add_json(out, f->sqlstate);
			sb_adds(out, "\"");
		}
		if (f->file) {
			sb_adds(out, ",\"file\":\"");
			sb_add_json(out, f->file);
			sb_adds(out, "\"");
		}
		if (f->line >= 0)
			sb_addf(out, ",\"line\":%d", f->line);
	}
	sb_adds(out, "}\n");
}

/*
 * A text line carries its message with control bytes escaped: a newline
 * or carriage return in a file name or value would otherwise start what
 * looks like another event, and an ESC could drive the reader's terminal.
 * Tab stays: it cannot break a line, and the caret shown under a
 * migration's line lines up with the tabs of that line.
 */
static void add_text_escaped(struct sb *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			sb_adds(out, "\\n");
		else if (c == '\r')
			sb_adds(out, "\\r");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			sb_addf(out, "\\x%02x", c);
		else
			sb_addch(out, c);
	}
}

void log_emit(enum log_level level, const char *event, const struct log_fields *fields,
	      const char *fmt, ...)
{
	struct sb msg = SB_INIT, out = SB_INIT;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (log_fmt == LOG_JSON) {
		emit_json(&out, level, event, fields, msg.buf);
	} else {
		sb_adds(&out, "flux: ");
		if (level != LOG_INFO)
			sb_addf(&out, "%s: ", log_level_name(level));
		add_text_escaped(&out, msg.buf, msg.len);
		sb_addch(&out, '\n');
	}
	/* One write per line keeps lines whole when processes share stderr. */
	fwrite(out.buf, 1, out.len, stderr);
	fflush(stderr);
	sb_release(&msg);
	sb_release(&out);
}
