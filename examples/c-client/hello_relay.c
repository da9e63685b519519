// SPDX-License-Identifier: GPL-2.0
/*
 * hello_relay - a minimal relay client in C
 *
 * At load it opens a channel with one buffer per CPU, seen as
 * /sys/kernel/debug/hello_relay/cpu0 ... cpuN, and logs @records text
 * lines into every CPU's buffer:
 *
 *	hello_relay cpu=<cpu> seq=<0..records-1>
 *
 * "cat /sys/kernel/debug/hello_relay/cpu0" shows them.  Unloading closes
 * the channel and removes the files.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/smp.h>
/*
 * The relay API of rrelay.ko.  It is the stock <linux/relay.h>, renamed
 * to rrelay's symbols when the kernel has a relay of its own, so it must
 * come before anything else that includes <linux/relay.h>.
 */
#include <rrelay/relay.h>

static unsigned int records = 100;
module_param(records, uint, 0444);
MODULE_PARM_DESC(records, "lines to log on each CPU at load");

static struct dentry *dir;
static struct rchan *chan;

/* relay asks for one file per buffer: a debugfs file with relay's fops. */
static struct dentry *create_buf_file(const char *filename,
				      struct dentry *parent, umode_t mode,
				      struct rchan_buf *buf, int *is_global)
{
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks callbacks = {
	.create_buf_file = create_buf_file,
	.remove_buf_file = remove_buf_file,
};

/* Runs on each CPU in turn; relay_write() logs into that CPU's buffer. */
static void log_lines(void *unused)
{
	unsigned int seq;
	char line[64];
	int len;

	for (seq = 0; seq < records; seq++) {
		len = scnprintf(line, sizeof(line), "hello_relay cpu=%d seq=%u\n",
				smp_processor_id(), seq);
		relay_write(chan, line, len);
	}
}

static int __init hello_relay_init(void)
{
	dir = debugfs_create_dir("hello_relay", NULL);
	/* Per CPU: 4 sub-buffers of 4 KiB; files cpu0, cpu1, ... in dir. */
	chan = relay_open("cpu", dir, 4096, 4, &callbacks, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}
	on_each_cpu(log_lines, NULL, 1);
	/* End the current sub-buffers, so that poll() readers wake up. */
	relay_flush(chan);
	return 0;
}

static void __exit hello_relay_exit(void)
{
	relay_close(chan);
	debugfs_remove(dir);
}

module_init(hello_relay_init);
module_exit(hello_relay_exit);
MODULE_DESCRIPTION("Minimal relay client");
MODULE_LICENSE("GPL");
