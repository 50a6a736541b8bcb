/*
 * sigdb/embedded.c — the default rule text, assembled into the binary from
 * sigdb/default_rules.yar with .incbin (the Makefile makes this object depend on it), so a
 * fresh install or a rescue stick can scan with no rule file on disk.
 */
#include <stddef.h>

extern const char sigdb_embedded_rules[];
extern const char sigdb_embedded_rules_end[];

__asm__(".section .rodata\n"
	".global sigdb_embedded_rules\n"
	".global sigdb_embedded_rules_end\n"
	"sigdb_embedded_rules:\n"
	".incbin \"sigdb/default_rules.yar\"\n"
	"sigdb_embedded_rules_end:\n"
	".byte 0\n"
	".previous\n");

size_t
sigdb_embedded_size(void)
{
	return (size_t)(sigdb_embedded_rules_end - sigdb_embedded_rules);
}
