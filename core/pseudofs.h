/*
 * core/pseudofs.h — the pseudo file systems vigil never scans or marks: kernel interfaces
 * (proc, sysfs, cgroup, debugfs, ...) whose "files" are not content anyone stored, that can
 * block or change on every read, and that are large or endless to walk.
 *
 * One table gives each its type name (as in /proc/self/mountinfo: the real-time daemon's
 * marks) and its statfs magic (the walker, from an open folder). devtmpfs has no magic of its
 * own (statfs says tmpfs or ramfs), so for those two the folder's mount is looked up by
 * device number in /proc/self/mountinfo.
 *
 * Thread-safe; no allocation kept; never fails (unknown or unreadable is "not pseudo").
 */
#ifndef VIGIL_CORE_PSEUDOFS_H
#define VIGIL_CORE_PSEUDOFS_H

/* 1 when type (a mountinfo file-system type such as "proc") is a pseudo file system. */
int vg_pseudo_fs_name(const char *type);

/* 1 when statfs f_type magic is one of the table's (devtmpfs cannot be told by it). */
int vg_pseudo_fs_magic(long magic);

/* 1 when the folder or file open on fd lies on a pseudo file system (devtmpfs included). */
int vg_pseudo_fs_fd(int fd);

#endif
