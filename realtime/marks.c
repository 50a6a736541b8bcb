/*
 * realtime/marks.c — what real-time protection marks: the configured folders and every mount
 * below them that holds files (pseudo file systems left out).
 */
#include "realtime/rtp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "core/pseudofs.h"

int
rtp_under(const char *path, const char *dir)
{
	return vg_path_within(path, dir);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void
unescape_octal(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int
marks_add(char ***marks, size_t *n, const char *path)
{
	char **v;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*marks)[i], path) == 0)
			return 0;
	v = realloc(*marks, (*n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	*marks = v;
	if ((v[*n] = strdup(path)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
marks_collect(char *const *paths, size_t npaths, char ***marks, size_t *n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	size_t i;
	int rc = 0;

	for (i = 0; i < npaths; i++)
		if (marks_add(marks, n, paths[i]) != 0)
			rc = -1;
	while (f && fgets(line, sizeof(line), f)) {
		char mnt[4096], type[64];
		const char *dash = strstr(line, " - ");

		if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", type) != 1 || vg_pseudo_fs_name(type))
			continue;
		unescape_octal(mnt);
		for (i = 0; i < npaths; i++)
			if (rtp_under(mnt, paths[i]) && strcmp(mnt, paths[i]) != 0 &&
			    marks_add(marks, n, mnt) != 0)
				rc = -1;
	}
	if (f)
		fclose(f);
	return rc;
}

