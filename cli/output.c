/* cli/output.c — printing: JSON documents, escaped names, sizes; parsing numbers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonx.h"

void
out_json(struct cli *cli, json_t *doc)
{
	(void)cli;
	vg_json_print(doc);
	json_decref(doc);
}

void
out_text(const char *s)
{
	char *esc = vg_text_escape(s, strlen(s));

	fputs(esc ? esc : "?", stdout);
	free(esc);
}

void
out_json_text_to(FILE *f, json_t *s)
{
	if (json_is_string(s)) {
		char *esc = vg_text_escape(json_string_value(s), json_string_length(s));

		fputs(esc ? esc : "?", f);
		free(esc);
	} else if (s && !json_is_null(s)) {
		char *t = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);

		fputs(t ? t : "?", f);
		free(t);
	}
}

void
out_json_text(json_t *s)
{
	out_json_text_to(stdout, s);
}

/*
 * Print one name escaped for a terminal, from its exact bytes: the base64 form when the JSON
 * carries one (the string then holds \xNN escapes already), else the string itself.
 */
static void
print_name(FILE *f, json_t *s, json_t *b64)
{
	size_t len = json_string_length(s);
	char *raw = json_is_string(b64) ? vg_base64_decode(json_string_value(b64), &len) : NULL;
	const char *bytes = raw ? raw : json_string_value(s);
	char *esc = vg_text_escape(bytes ? bytes : "", bytes ? len : 0);

	fputs(esc ? esc : "?", f);
	free(esc);
	free(raw);
}

static void
print_object(FILE *f, json_t *o)
{
	json_t *members = json_object_get(o, "member"), *m;
	json_t *raw = json_object_get(o, "member_b64");
	size_t i;

	print_name(f, json_object_get(o, "path"), json_object_get(o, "path_b64"));
	json_array_foreach(members, i, m) {
		fputs(" > ", f);
		print_name(f, m, json_array_get(raw, i));
	}
}

void
out_threat_line(json_t *t)
{
	const char *action = json_string_value(json_object_get(t, "action"));

	print_object(stdout, t);
	if (json_is_false(json_object_get(json_object_get(t, "image"), "allocated")))
		fputs(" (deleted)", stdout);
	fputs(": ", stdout);
	out_json_text(json_object_get(t, "name"));
	if (action && strcmp(action, "allowed") == 0) {
		fputs(" ALLOWED (", stdout);
		out_json_text(json_object_get(t, "allowed_by"));
		fputs(")\n", stdout);
	} else if (action && strcmp(action, "reported") != 0) {
		fputs(" FOUND (", stdout);
		out_text(action);
		fputs(")\n", stdout);
	} else {
		fputs(" FOUND\n", stdout);
	}
}

void
out_problem_line(FILE *f, json_t *p)
{
	const char *reason = json_string_value(json_object_get(p, "reason"));
	char *why = vg_text_escape(reason ? reason : "", reason ? strlen(reason) : 0);

	fputs("  ", f);
	print_object(f, p);
	fprintf(f, ": %s: %s\n", json_string_value(json_object_get(p, "kind")), why ? why : "?");
	free(why);
}

/* The system on a volume, as its /etc/machine-id and /etc/hostname name it. */
static void
out_system(json_t *sys)
{
	if (sys == NULL)
		return;
	fputs("    system on it:", stdout);
	if (json_object_get(sys, "machine_id")) {
		fputs(" machine-id ", stdout);
		out_json_text(json_object_get(sys, "machine_id"));
	} else if (json_is_true(json_object_get(sys, "machine_id_invalid"))) {
		fputs(" machine-id not valid", stdout);
	}
	if (json_object_get(sys, "hostname")) {
		fputs(" hostname ", stdout);
		out_json_text(json_object_get(sys, "hostname"));
		if (json_is_true(json_object_get(sys, "hostname_invalid")))
			fputs(" (not a valid host name)", stdout);
	}
	fputc('\n', stdout);
}

void
out_volumes(json_t *volumes)
{
	json_t *v;
	size_t i;

	printf("Volumes of the image:\n");
	json_array_foreach(volumes, i, v) {
		json_t *chain = json_object_get(v, "chain"), *c;
		json_int_t part = json_integer_value(json_object_get(v, "partition"));
		size_t k, n = json_array_size(chain) - json_is_string(json_object_get(v, "fs"));
		/* the partition's own label ("gpt:p2", "offset:N") is said by "pN at byte" */
		const char *first = json_string_value(json_array_get(chain, 0));
		size_t from = part > 0 || (first && strncmp(first, "offset:", 7) == 0);

		printf("  p%lld at byte %lld, ", (long long)part,
		       (long long)json_integer_value(json_object_get(v, "offset")));
		/* a volume inside another: where, outside in (its file system is said below) */
		for (k = from; k < n && (c = json_array_get(chain, k)) != NULL; k++) {
			out_json_text(c);
			fputs(k + 1 < n ? " > " : ", ", stdout);
		}
		if (json_is_string(json_object_get(v, "fs")))
			out_json_text(json_object_get(v, "fs"));
		else if (strcmp(json_string_value(json_object_get(v, "status")) ?: "", "skipped") == 0)
			fputs("not opened", stdout);
		else
			fputs("no file system known", stdout);
		fputs(" (", stdout);
		out_json_text(json_object_get(v, "description"));
		fputs("): ", stdout);
		out_json_text(json_object_get(v, "status"));
		if (json_object_get(v, "reason")) {
			fputs(": ", stdout);
			out_json_text(json_object_get(v, "reason"));
		}
		fputc('\n', stdout);
		out_system(json_object_get(v, "system"));
	}
}

void
out_bytes(char *buf, size_t n, int64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%lld B", (long long)bytes);
	else
		snprintf(buf, n, "%.1f %s", v, units[u]);
}

int
parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s[0] == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0)
		return -1;
	if (shift && v > (~0ull >> shift))
		return -1;
	*out = v << shift;
	return 0;
}
