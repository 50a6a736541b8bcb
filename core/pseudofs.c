/* core/pseudofs.c — the pseudo file systems, by type name and by statfs magic (core/pseudofs.h). */
#include "core/pseudofs.h"

#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

/* magic 0: none of its own (devtmpfs reports tmpfs or ramfs) */
static const struct {
	const char *name;
	long magic;
} pseudo[] = {
	{ "proc", PROC_SUPER_MAGIC },
	{ "sysfs", SYSFS_MAGIC },
	{ "devpts", DEVPTS_SUPER_MAGIC },
	{ "cgroup", CGROUP_SUPER_MAGIC },
	{ "cgroup2", CGROUP2_SUPER_MAGIC },
	{ "debugfs", DEBUGFS_MAGIC },
	{ "tracefs", TRACEFS_MAGIC },
	{ "securityfs", SECURITYFS_MAGIC },
	{ "bpf", BPF_FS_MAGIC },
	{ "pstore", PSTOREFS_MAGIC },
	{ "efivarfs", EFIVARFS_MAGIC },
	{ "hugetlbfs", HUGETLBFS_MAGIC },
	{ "selinuxfs", SELINUX_MAGIC },
	{ "nsfs", NSFS_MAGIC },
	{ "binfmt_misc", BINFMTFS_MAGIC },
	{ "configfs", 0x62656570 },
	{ "fusectl", 0x65735543 },
	{ "mqueue", 0x19800202 },
	{ "autofs", AUTOFS_SUPER_MAGIC },
	{ "rpc_pipefs", 0x67596969 },
	{ "devtmpfs", 0 },
};

#define NPSEUDO (sizeof(pseudo) / sizeof(pseudo[0]))

int
vg_pseudo_fs_name(const char *type)
{
	size_t i;

	for (i = 0; type && i < NPSEUDO; i++)
		if (strcmp(type, pseudo[i].name) == 0)
			return 1;
	return 0;
}

int
vg_pseudo_fs_magic(long magic)
{
	size_t i;

	for (i = 0; magic != 0 && i < NPSEUDO; i++)
		if ((long)(unsigned int)pseudo[i].magic == (long)(unsigned int)magic)
			return 1;
	return 0;
}

/* The type name of the mount with device dev in /proc/self/mountinfo: is it pseudo? */
static int
pseudo_by_dev(dev_t dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], type[64];
	unsigned int maj, min;
	int found = 0;

	if (f == NULL)
		return 0;
	/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": major:minor is the
	 * third field, the type follows " - " */
	while (!found && fgets(line, sizeof(line), f)) {
		const char *dash = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %u:%u", &maj, &min) != 2 || dash == NULL ||
		    makedev(maj, min) != dev || sscanf(dash + 3, "%63s", type) != 1)
			continue;
		found = 1 + vg_pseudo_fs_name(type);
	}
	fclose(f);
	return found == 2;
}

int
vg_pseudo_fs_fd(int fd)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) != 0)
		return 0;
	if (vg_pseudo_fs_magic((long)sf.f_type))
		return 1;
	/* devtmpfs looks like tmpfs to statfs: only its mount entry says which it is */
	if (((unsigned long)sf.f_type == TMPFS_MAGIC || (unsigned long)sf.f_type == RAMFS_MAGIC) &&
	    fstat(fd, &st) == 0)
		return pseudo_by_dev(st.st_dev);
	return 0;
}
