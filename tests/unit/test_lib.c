/* Helpers shared by the unit tests: see test_lib.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sb.h"
#include "test_lib.h"

char test_tmpdir[64];

int test_tmpdir_setup(void **state)
{
	(void)state;
	strcpy(test_tmpdir, "/tmp/flux-unit-XXXXXX");
	return mkdtemp(test_tmpdir) ? 0 : -1;
}

int test_tmpdir_teardown(void **state)
{
	(void)state;
	test_rm_tree(test_tmpdir);
	return 0;
}

void test_rm_tree(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (lstat(path, &st))
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	/* Tests make unreadable directories: open them up to empty them. */
	chmod(path, 0700);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			char sub[4096];

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			test_rm_tree(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Read f from its start to its end into a string the caller frees. */
static char *slurp(FILE *f)
{
	struct sb sb = SB_INIT;
	char buf[512];
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	return sb_detach(&sb, NULL);
}

static FILE *capture_file;
static int saved_stderr = -1;

void test_capture_start(void)
{
	assert_null(capture_file);
	fflush(stderr);
	capture_file = tmpfile();
	assert_non_null(capture_file);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(capture_file), 2) >= 0);
}

char *test_capture_end(void)
{
	char *text;

	assert_non_null(capture_file);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	text = slurp(capture_file);
	fclose(capture_file);
	capture_file = NULL;
	return text;
}

void test_death(void (*fn)(void *arg), void *arg, struct test_death *out)
{
	FILE *err = tmpfile();
	pid_t pid;
	int status;

	assert_non_null(err);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fileno(err), 2);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	memset(out, 0, sizeof(*out));
	out->exited = WIFEXITED(status);
	out->code = out->exited ? WEXITSTATUS(status) : -1;
	out->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	out->err = slurp(err);
	fclose(err);
}
