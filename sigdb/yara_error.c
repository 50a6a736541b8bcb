/*
 * sigdb/yara_error.c — the one translation of libyara's error codes (ERROR_* of
 * yara/error.h) into vigil's errors, each with what it means. libyara has no strerror of
 * its own; nothing else in vigil turns a libyara code into words or into an enum vg_err.
 */
#include "sigdb/sigdb.h"

#include <stdarg.h>
#include <stdio.h>

struct yara_code {
	enum vg_err code;
	const char *meaning;	/* NULL: not a code libyara defines */
};

/* Indexed by libyara's code; every slot names the ERROR_* it stands for. */
static const struct yara_code codes[] = {
	[ERROR_SUCCESS] = { VG_OK, "success" },
	[ERROR_INSUFFICIENT_MEMORY] = { VG_NOMEM, "insufficient memory" },
	[ERROR_COULD_NOT_ATTACH_TO_PROCESS] = { VG_PERM, "could not attach to the process" },
	[ERROR_COULD_NOT_OPEN_FILE] = { VG_IO, "could not open file" },
	[ERROR_COULD_NOT_MAP_FILE] = { VG_IO, "could not map file (it may have shrunk)" },
	[ERROR_INVALID_FILE] = { VG_INVAL, "not a compiled rules file" },
	[ERROR_CORRUPT_FILE] = { VG_INVAL, "corrupt file" },
	[ERROR_UNSUPPORTED_FILE_VERSION] = { VG_INVAL,
		"compiled by another version of libyara" },
	[ERROR_INVALID_REGULAR_EXPRESSION] = { VG_RULES, "invalid regular expression" },
	[ERROR_INVALID_HEX_STRING] = { VG_RULES, "invalid hex string" },
	[ERROR_SYNTAX_ERROR] = { VG_RULES, "syntax error" },
	[ERROR_LOOP_NESTING_LIMIT_EXCEEDED] = { VG_RULES, "loops nested too deeply" },
	[ERROR_DUPLICATED_LOOP_IDENTIFIER] = { VG_RULES, "duplicated loop identifier" },
	[ERROR_DUPLICATED_IDENTIFIER] = { VG_RULES, "duplicated identifier" },
	[ERROR_DUPLICATED_TAG_IDENTIFIER] = { VG_RULES, "duplicated tag" },
	[ERROR_DUPLICATED_META_IDENTIFIER] = { VG_RULES, "duplicated meta identifier" },
	[ERROR_DUPLICATED_STRING_IDENTIFIER] = { VG_RULES, "duplicated string identifier" },
	[ERROR_UNREFERENCED_STRING] = { VG_RULES, "unreferenced string" },
	[ERROR_UNDEFINED_STRING] = { VG_RULES, "undefined string" },
	[ERROR_UNDEFINED_IDENTIFIER] = { VG_RULES, "undefined identifier" },
	[ERROR_MISPLACED_ANONYMOUS_STRING] = { VG_RULES, "misplaced anonymous string" },
	[ERROR_INCLUDES_CIRCULAR_REFERENCE] = { VG_RULES, "circular include" },
	[ERROR_INCLUDE_DEPTH_EXCEEDED] = { VG_RULES, "includes nested too deeply" },
	[ERROR_WRONG_TYPE] = { VG_RULES, "wrong type" },
	[ERROR_EXEC_STACK_OVERFLOW] = { VG_LIMIT,
		"stack overflow while evaluating a condition" },
	[ERROR_SCAN_TIMEOUT] = { VG_LIMIT, "timeout" },
	[ERROR_TOO_MANY_SCAN_THREADS] = { VG_LIMIT, "too many scanning threads" },
	[ERROR_CALLBACK_ERROR] = { VG_YARA, "the match callback failed" },
	[ERROR_INVALID_ARGUMENT] = { VG_INVAL, "invalid argument" },
	[ERROR_TOO_MANY_MATCHES] = { VG_LIMIT, "too many matches" },
	[ERROR_INTERNAL_FATAL_ERROR] = { VG_YARA, "internal fatal error" },
	[ERROR_NESTED_FOR_OF_LOOP] = { VG_RULES, "nested for-of loop" },
	[ERROR_INVALID_FIELD_NAME] = { VG_RULES, "invalid field name" },
	[ERROR_UNKNOWN_MODULE] = { VG_RULES, "unknown module" },
	[ERROR_NOT_A_STRUCTURE] = { VG_RULES, "not a structure" },
	[ERROR_NOT_INDEXABLE] = { VG_RULES, "not indexable" },
	[ERROR_NOT_A_FUNCTION] = { VG_RULES, "not a function" },
	[ERROR_INVALID_FORMAT] = { VG_RULES, "invalid format" },
	[ERROR_TOO_MANY_ARGUMENTS] = { VG_RULES, "too many arguments" },
	[ERROR_WRONG_ARGUMENTS] = { VG_RULES, "wrong arguments" },
	[ERROR_WRONG_RETURN_TYPE] = { VG_RULES, "wrong return type" },
	[ERROR_DUPLICATED_STRUCTURE_MEMBER] = { VG_RULES, "duplicated structure member" },
	[ERROR_EMPTY_STRING] = { VG_RULES, "empty string" },
	[ERROR_DIVISION_BY_ZERO] = { VG_RULES, "division by zero" },
	[ERROR_REGULAR_EXPRESSION_TOO_LARGE] = { VG_RULES, "regular expression too large" },
	[ERROR_TOO_MANY_RE_FIBERS] = { VG_LIMIT, "too many regular expression fibers" },
	[ERROR_COULD_NOT_READ_PROCESS_MEMORY] = { VG_IO, "could not read process memory" },
	[ERROR_INVALID_EXTERNAL_VARIABLE_TYPE] = { VG_INVAL,
		"invalid type for an external variable" },
	[ERROR_REGULAR_EXPRESSION_TOO_COMPLEX] = { VG_RULES, "regular expression too complex" },
	[ERROR_INVALID_MODULE_NAME] = { VG_RULES, "invalid module name" },
	[ERROR_TOO_MANY_STRINGS] = { VG_RULES, "too many strings" },
	[ERROR_INTEGER_OVERFLOW] = { VG_RULES, "integer overflow" },
	[ERROR_CALLBACK_REQUIRED] = { VG_INVAL, "callback required" },
	[ERROR_INVALID_OPERAND] = { VG_RULES, "invalid operand" },
	[ERROR_COULD_NOT_READ_FILE] = { VG_IO, "could not read file" },
	[ERROR_DUPLICATED_EXTERNAL_VARIABLE] = { VG_INVAL, "duplicated external variable" },
	[ERROR_INVALID_MODULE_DATA] = { VG_INVAL, "invalid module data" },
	[ERROR_WRITING_FILE] = { VG_IO, "could not write file" },
	[ERROR_INVALID_MODIFIER] = { VG_RULES, "invalid string modifier" },
	[ERROR_DUPLICATED_MODIFIER] = { VG_RULES, "duplicated string modifier" },
	[ERROR_BLOCK_NOT_READY] = { VG_YARA, "data block not ready" },
	[ERROR_INVALID_PERCENTAGE] = { VG_RULES, "invalid percentage" },
	[ERROR_IDENTIFIER_MATCHES_WILDCARD] = { VG_RULES, "identifier matches a wildcard" },
};

enum vg_err
sigdb_yara_error(int code, const char **meaning)
{
	enum vg_err rc = VG_YARA;
	const char *m = "unknown libyara error";

	if (code >= 0 && (size_t)code < sizeof(codes) / sizeof(codes[0]) &&
	    codes[code].meaning != NULL) {
		rc = codes[code].code;
		m = codes[code].meaning;
	}
	if (meaning)
		*meaning = m;
	return rc;
}

const char *
sigdb_yara_strerror(int code)
{
	const char *m;

	sigdb_yara_error(code, &m);
	return m;
}

enum vg_err
sigdb_yara_fail(struct vg_error *err, int code, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	const char *m;
	enum vg_err rc = sigdb_yara_error(code, &m);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return vg_error_set(err, rc, "%s: %s (yara error %d)", what, m, code);
}
