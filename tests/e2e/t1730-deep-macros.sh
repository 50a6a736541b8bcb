#!/usr/bin/env bash
# VBA macros through the extractor: each module's source is a text layer "vba:NAME", so a
# rule written for macro source fires on an Office file, also inside a zip (an .xlsm-style
# package). The OLE2 files are hand-built (tests/e2e/helpers/mkvba.py): no Debian tool writes
# a VBA project.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)
MKVBA=$VG_REPO/tests/e2e/helpers/mkvba.py

printf 'rule VBA_Marker { strings: $a = "VIGIL-MACRO-MARKER-7" condition: $a }\n' >vba.yar
mkdir -p docs pkg/xl
python3 "$MKVBA" docs/invoice.doc Module1=VIGIL-MACRO-MARKER-7 Helper=nothing-here
python3 "$MKVBA" pkg/xl/vbaProject.bin Sheet1=VIGIL-MACRO-MARKER-7
printf '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' \
	>'pkg/[Content_Types].xml'
(cd pkg && zip -q -X ../docs/book.xlsm '[Content_Types].xml' xl/vbaProject.bin)

test_expect_success 'setup: the macro rule' '
	vigil sigdb import vba.yar
'
test_expect_success 'a .doc with macros: the rule fires on the module vba:Module1, not on the other' '
	expect_exit 1 vigil --json scan custom docs/invoice.doc >d.json &&
	jqt d.json "[.threats[] | select(.name == \"VBA_Marker\") | .member] == [[\"vba:Module1\"]]" &&
	jqt d.json "[.threats[] | select(.name == \"VBA_Marker\") | .type] | all(startswith(\"text/\"))"
'
test_expect_success 'the macro source is compressed in the file: without deep containers nothing fires' '
	vigil --json scan custom --no-deep-containers docs/invoice.doc >off.json &&
	jqt off.json ".threats == []"
'
test_expect_success 'an .xlsm-style zip: libarchive opens the package, the extractor its vbaProject.bin' '
	expect_exit 1 vigil --json scan custom docs/book.xlsm >x.json &&
	jqt x.json "[.threats[] | select(.name == \"VBA_Marker\") | .member] == [[\"xl/vbaProject.bin\", \"vba:Sheet1\"]]"
'
test_expect_success 'a macro detection names the layer: its SHA-256 is that of the module source, not of the file' '
	jqt d.json "[.threats[] | select(.name == \"VBA_Marker\") | .sha256] | length == 1" &&
	test "$(jq -r ".threats[] | select(.name == \"VBA_Marker\") | .sha256" d.json)" != "$(sha256sum docs/invoice.doc | cut -d" " -f1)"
'
test_done
