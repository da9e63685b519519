// SPDX-License-Identifier: GPL-2.0
/*
 * On a kernel with its own relay (CONFIG_RELAY=y, the bench kernel),
 * rrelay loads beside it under its "r"-prefixed names, and one client
 * source built for each logs and reads back through both in one boot.
 */
#include <fcntl.h>
#include <unistd.h>
#include <linux/types.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"
#include "client_record.h"

static int kallsyms_has(const char *sym, const char *module)
{
	char line[256], want[128];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), " %s%s%s", sym, module ? "\t[" : "\n",
		 module ? module : "");
	while (!found && fgets(line, sizeof(line), f))
		found = !!strstr(line, want);
	fclose(f);
	return found;
}

static unsigned char data[1 << 16];

/* Emit 50 records of 128 bytes on CPU 0 and read them back. */
static int round_trip(const char *client)
{
	char path[128];
	ssize_t n, len = 0;
	size_t off = 0;
	int fd, records = 0;

	snprintf(path, sizeof(path), DEBUGFS "/%s/emit", client);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "0 50 128 0", 10) != 10)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), DEBUGFS "/%s/cpu0", client);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, data + len, sizeof(data) - len)) > 0)
		len += n;
	close(fd);
	while (off + sizeof(struct client_record) <= (size_t)len) {
		struct client_record *r = (void *)(data + off);

		if (r->magic != CLIENT_RECORD_MAGIC || r->seq != (__u32)records ||
		    client_record_csum(r) != r->csum)
			return -1;
		records++;
		off += r->len;
	}
	return off == (size_t)len ? records : -1;
}

TEST(rrelay_and_mainline_relay_in_one_boot)
{
	EXPECT_EQ(1, kallsyms_has("relay_open", NULL));
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	EXPECT_EQ(1, kallsyms_has("rrelay_open", "rrelay"));
	ASSERT_EQ(0, run("insmod /modules/relay_client.ko"));
	ASSERT_EQ(0, run("insmod /modules/mainline_client.ko"));
	EXPECT_EQ(50, round_trip("relay_client"));
	EXPECT_EQ(50, round_trip("mainline_client"));
	EXPECT_EQ(0, run("rmmod mainline_client"));
	EXPECT_EQ(0, run("rmmod relay_client"));
	EXPECT_EQ(0, run("rmmod rrelay"));
}

TEST_HARNESS_MAIN
