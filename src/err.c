#include "err.h"

#include <stdarg.h>
#include <stdlib.h>

#include "sb.h"

int err_set(struct flux_err *err, enum flux_exit code, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_release(err);
	err->code = code;
	err->msg = sb_detach(&sb, NULL);
	return -1;
}

void err_release(struct flux_err *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err->sqlstate);
	free(err->detail);
	free(err->hint);
	free(err->context);
	free(err->id);
	free(err->file);
	err->code = FLUX_EXIT_OK;
	err->msg = err->sqlstate = err->detail = err->hint = err->context = NULL;
	err->id = err->file = NULL;
	err->line = -1;
}

void err_move(struct flux_err *dst, struct flux_err *src)
{
	err_release(dst);
	*dst = *src;
	src->code = FLUX_EXIT_OK;
	src->msg = src->sqlstate = src->detail = src->hint = src->context = NULL;
	src->id = src->file = NULL;
	src->line = -1;
}
