#!/usr/bin/env bash
# The external variable filetype holds LOKI's and THOR's names, from the magic headers of
# signature-base's file type list (scanner/filetype.c): published conditions such as
# `filetype == "EXE"` or `filetype != "PDF"` mean what their authors meant.
# Fixtures are made here: ELF is /bin/true, PDF a minimal document from printf, ZIP from
# zip(1), PHP text; RAR, EXE (an MZ header) and GIF are hand-built bytes, since nothing in
# Debian main writes RAR and a header is all that is tested.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

mkdir -p ft
cp /bin/true ft/prog
printf '%%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%%%EOF\n' >ft/doc.pdf
echo "zip me" >zipped.txt && zip -q -X ft/a.zip zipped.txt
printf '<?php echo 1; ?>\n' >ft/page.php
printf 'Rar!\032\007\000\317\220\163\000\000\015\000\000\000' >ft/a.rar
printf 'MZ\220\000\003\000\000\000\004\000\000\000\377\377\000\000' >ft/a.exe
printf 'GIF89a\001\000\001\000\200\000\000\377\377\377\000\000\000!\371\004\001\000\000\000\000,\000\000\000\000\001\000\001\000\000\002\002D\001\000;' >ft/a.gif
echo "plain words" >ft/note.txt

# One rule per name: FT_<NAME> fires when filetype is NAME.
for n in EXE ELF PDF GIF ZIP RAR PHP UNKNOWN; do
	printf 'rule FT_%s { condition: filetype == "%s" }\n' "$n" "$n"
done >ft.yar
printf 'rule FT_NOT_PDF { condition: filetype != "PDF" }\n' >>ft.yar

test_expect_success 'a rule set comparing filetype imports' '
	vigil sigdb import ft.yar
'
test_expect_success 'each fixture gets its name: EXE, ELF, PDF, GIF, ZIP, RAR, PHP; a plain text file UNKNOWN' '
	expect_exit 1 vigil --json scan custom --no-archives ft >ft.json &&
	for pair in EXE:a.exe ELF:prog PDF:doc.pdf GIF:a.gif ZIP:a.zip RAR:a.rar PHP:page.php UNKNOWN:note.txt; do
		n=${pair%%:*} f=${pair#*:}
		jqt ft.json "[.threats[] | select(.name == \"FT_$n\") | .path] == [\"$T/ft/$f\"]" || exit 1
	done
'
test_expect_success 'filetype != "PDF" is false for the PDF and true for every other file' '
	jqt ft.json "[.threats[] | select(.name == \"FT_NOT_PDF\") | .path | ltrimstr(\"$T/ft/\")] | sort == [\"a.exe\", \"a.gif\", \"a.rar\", \"a.zip\", \"note.txt\", \"page.php\", \"prog\"]"
'
test_expect_success 'an archive member gets its own filetype (a PDF inside a zip is PDF)' '
	mkdir -p zz && (cd ft && zip -q -X ../zz/docs.zip doc.pdf) &&
	expect_exit 1 vigil --json scan custom zz >zz.json &&
	jqt zz.json "[.threats[] | select(.name == \"FT_PDF\") | .member] == [[\"doc.pdf\"]]" &&
	jqt zz.json "[.threats[] | select(.name == \"FT_ZIP\") | .member] == [[]]"
'
test_done
