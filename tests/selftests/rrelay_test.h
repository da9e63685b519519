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

/* Whether the running kernel has relay built in (CONFIG_RELAY=y). */
static inline int kernel_has_relay(void)
{
	return run("grep -q ' relay_open$' /proc/kallsyms") == 0;
}

#endif /* _RRELAY_TEST_H */
