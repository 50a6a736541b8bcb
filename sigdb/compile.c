/*
 * sigdb/compile.c — sources to YR_RULES: every source in its own namespace, the external
 * variables every rule may use defined (empty), includes refused, the first compile errors
 * kept as "file:line: message" lines. Also libyara's start and end for the process.
 */
#include "sigdb/sigdb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sigdb_external_vars[] = { "filename", "filepath", "extension", "filetype",
					    "owner", "fullpath", NULL };

/* What the compiler said: the first errors as "file:line: message" lines. */
struct compile_ctx {
	const char *current;
	char msgs[900];
	size_t used;
	int errors;
};

enum vg_err
sigdb_global_init(struct vg_error *err)
{
	int rc = yr_initialize();

	if (rc != ERROR_SUCCESS)
		return sigdb_yara_fail(err, rc, "cannot initialise libyara");
	return VG_OK;
}

void
sigdb_global_finish(void)
{
	yr_finalize();
}

static void
compiler_cb(int level, const char *file, int line, const YR_RULE *rule, const char *message,
	    void *user)
{
	struct compile_ctx *c = user;
	int n;

	(void)file;
	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	c->errors++;
	if (c->errors > 10 || c->used >= sizeof(c->msgs) - 1)
		return;
	n = snprintf(c->msgs + c->used, sizeof(c->msgs) - c->used, "%s%s:%d: %s",
		     c->used ? "\n" : "", c->current, line, message);
	if (n > 0)
		c->used += (size_t)n < sizeof(c->msgs) - c->used ? (size_t)n
								 : sizeof(c->msgs) - c->used - 1;
}

static const char *
refuse_include(const char *name, const char *calling_file, const char *ns, void *user)
{
	(void)name;
	(void)calling_file;
	(void)ns;
	(void)user;
	return NULL;
}

int64_t
sigdb_count_rules(YR_RULES *rules)
{
	YR_RULE *rule;
	int64_t n = 0;

	yr_rules_foreach(rules, rule)
		n++;
	return n;
}

/* Compile sources [from, to) together; *out receives the rules on success. */
enum vg_err
sigdb_compile(const struct sigdb_sources *l, size_t from, size_t to, YR_RULES **out,
	      struct vg_error *err)
{
	struct compile_ctx ctx = { .current = "" };
	YR_COMPILER *c;
	size_t i;
	int rc;

	rc = yr_compiler_create(&c);
	if (rc != ERROR_SUCCESS)
		return sigdb_yara_fail(err, rc, "cannot create a YARA compiler");
	yr_compiler_set_callback(c, compiler_cb, &ctx);
	yr_compiler_set_include_callback(c, refuse_include, NULL, NULL);
	for (i = 0; rc == ERROR_SUCCESS && sigdb_external_vars[i]; i++)
		rc = yr_compiler_define_string_variable(c, sigdb_external_vars[i], "");
	if (rc != ERROR_SUCCESS) {
		yr_compiler_destroy(c);
		return sigdb_yara_fail(err, rc, "cannot define the external variable '%s'",
				       sigdb_external_vars[i - 1]);
	}
	for (i = from; i < to && ctx.errors == 0; i++) {
		if (strcmp(l->v[i].kind, "hashes") == 0)
			continue; /* hash lists are not YARA */
		ctx.current = l->v[i].display;
		if (strcmp(l->v[i].kind, "filenames") == 0) {
			char *y = sigdb_filenames_to_yara(l->v[i].text, l->v[i].len);

			if (y == NULL) {
				yr_compiler_destroy(c);
				return vg_error_set(err, VG_NOMEM, "out of memory");
			}
			yr_compiler_add_string(c, y, l->v[i].name);
			free(y);
		} else {
			yr_compiler_add_string(c, l->v[i].text, l->v[i].name);
		}
	}
	if (ctx.errors > 0) {
		yr_compiler_destroy(c);
		if (ctx.errors > 10)
			return vg_error_set(err, VG_RULES, "%s\n(%d more errors)", ctx.msgs,
					    ctx.errors - 10);
		return vg_error_set(err, VG_RULES, "%s", ctx.msgs);
	}
	rc = yr_compiler_get_rules(c, out);
	yr_compiler_destroy(c);
	if (rc != ERROR_SUCCESS)
		return sigdb_yara_fail(err, rc, "cannot build the compiled rules");
	return VG_OK;
}
