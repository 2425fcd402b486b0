/* flux status [--format table|json] [--exit-code]: read-only. */
#include <stdio.h>
#include <string.h>

#include "flux.h"
#include "log.h"
#include "sb.h"

static void print_table(const struct plan *plan)
{
	size_t i, w = 2;

	for (i = 0; i < plan->nentries; i++)
		if (strlen(plan->entries[i].id) > w)
			w = strlen(plan->entries[i].id);
	printf("%-*s  %-12s  %s\n", (int)w, "ID", "STATE", "APPLIED AT");
	for (i = 0; i < plan->nentries; i++) {
		const struct plan_entry *e = &plan->entries[i];
		const char *note = "";

		if (e->state == PLAN_PENDING && e->mig && e->mig->kind == MDIR_PY)
			note = "  (Python: apply with flux-migrations)";
		printf("%-*s  %-12s  %s%s\n", (int)w, e->id, plan_state_name(e->state),
		       e->row ? e->row->applied_at : "-", note);
	}
}

static void add_json_string(struct sb *out, const char *s)
{
	if (!s) {
		sb_adds(out, "null");
		return;
	}
	sb_addch(out, '"');
	sb_add_json(out, s);
	sb_addch(out, '"');
}

static void print_json(const struct plan *plan)
{
	struct sb out = SB_INIT;
	size_t i;

	sb_adds(&out, "{\"migrations\":[");
	for (i = 0; i < plan->nentries; i++) {
		const struct plan_entry *e = &plan->entries[i];

		sb_adds(&out, i ? ",{\"id\":" : "{\"id\":");
		add_json_string(&out, e->id);
		sb_addf(&out, ",\"state\":\"%s\",\"kind\":\"%s\",\"file\":",
			plan_state_name(e->state),
			e->mig ? (e->mig->kind == MDIR_PY ? "python" : "sql") :
				 "unknown");
		add_json_string(&out, e->mig ? e->mig->path : NULL);
		sb_adds(&out, ",\"hash\":");
		add_json_string(&out,
				e->mig && e->mig->kind == MDIR_SQL ? e->mig->hash : NULL);
		sb_adds(&out, ",\"applied_hash\":");
		add_json_string(&out, e->row ? e->row->hash : NULL);
		sb_adds(&out, ",\"applied_at\":");
		add_json_string(&out, e->row ? e->row->applied_at : NULL);
		sb_adds(&out, "}");
	}
	sb_addf(&out, "],\"applied\":%zu,\"pending\":%zu,\"problems\":%zu}\n",
		plan->napplied, plan->npending, plan->nproblems);
	fwrite(out.buf, 1, out.len, stdout);
	sb_release(&out);
}

int cmd_status_parse(int argc, char **argv, struct flux_ctx *ctx)
{
	static const char *const formats[] = { "table", "json", NULL };
	struct flux_args *a = &ctx->args;
	const struct opt opts[] = {
		{ .name = "--exit-code", .kind = OPT_FLAG, .out = &a->exit_code },
		{ .name = "--format",
		  .kind = OPT_VALUE,
		  .out = &a->format,
		  .words = formats },
		{ .name = NULL },
	};
	const struct opt_spec spec = {
		.cmd = "status",
		.opts = opts,
		.hint = "expected --format table|json or --exit-code",
	};

	return opt_parse(&spec, argc, argv, NULL, NULL, &ctx->err) ? ctx->err.code : 0;
}

int cmd_status(struct flux_ctx *ctx)
{
	const struct plan *plan = &ctx->session.plan;

	if (ctx->args.format && !strcmp(ctx->args.format, "json"))
		print_json(plan);
	else
		print_table(plan);
	if (plan->nproblems)
		log_warn("status", "%zu problem%s: run 'flux validate' for details",
			 plan->nproblems, plan->nproblems == 1 ? "" : "s");
	if (ctx->args.exit_code && plan->npending)
		return FLUX_EXIT_PENDING;
	return 0;
}
