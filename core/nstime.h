/*
 * core/nstime.h — a time as one count of nanoseconds since the epoch (int64_t), the form the
 * store keeps (mtime_ns, ctime_ns, atime_ns) and compares; and back, for utimensat(2).
 *
 * Both are inline, thread-safe and cannot fail. int64_t nanoseconds cover the years 1678
 * to 2262; a time outside that wraps (no file system vigil reads stores such a time).
 */
#ifndef VIGIL_CORE_NSTIME_H
#define VIGIL_CORE_NSTIME_H

#include <stdint.h>
#include <time.h>

#define VG_NS_PER_S INT64_C(1000000000)

/* t (st_mtim, st_ctim, st_atim, a clock_gettime result) in nanoseconds. */
static inline int64_t
vg_timespec_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * VG_NS_PER_S + t.tv_nsec;
}

/* The timespec of ns; tv_nsec is always in [0, 1e9), also before 1970 (as utimensat wants). */
static inline struct timespec
vg_ns_timespec(int64_t ns)
{
	struct timespec t;
	int64_t s = ns / VG_NS_PER_S, r = ns % VG_NS_PER_S;

	if (r < 0) {
		r += VG_NS_PER_S;
		s--;
	}
	t.tv_sec = (time_t)s;
	t.tv_nsec = (long)r;
	return t;
}

#endif
