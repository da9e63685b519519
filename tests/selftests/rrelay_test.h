/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by rrelay's guest test programs.
 */
#ifndef _RRELAY_TEST_H
#define _RRELAY_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/*
 * kselftest cuts a test off after 30 s.  The suite runs debug kernels
 * under TCG on a shared 2-core host, where a healthy test that loads and
 * unloads modules twenty times (stress.c's teardown race) took longer
 * than that while the host built a kernel.  The bound only has to catch a
 * hang: 240 s, under the guest's 300 s per program (tests/guest/init) and
 * the boot's 900 s.  Included after kselftest_harness.h, before any TEST.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 240
#endif

#define RRELAY_KO	"/modules/rrelay.ko"
#define DEBUGFS		"/sys/kernel/debug"

/* Run a shell command; return its exit status, or -1 if it did not exit. */
static inline int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* 1 if path is a directory, 0 if it does not exist, -errno otherwise. */
static inline int is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 1 : -ENOTDIR;
	return errno == ENOENT ? 0 : -errno;
}

/*
 * The number after "name " in a client's stats file (lines "name value"),
 * or -1.
 */
static inline long stat_in(const char *path, const char *name)
{
	char line[256], *p;
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, ' ');
		if (p && !strncmp(line, name, p - line))
			v = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

/* Whether the running kernel has relay built in (CONFIG_RELAY=y). */
static inline int kernel_has_relay(void)
{
	return run("grep -q ' relay_open$' /proc/kallsyms") == 0;
}

#endif /* _RRELAY_TEST_H */
