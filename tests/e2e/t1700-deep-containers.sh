#!/usr/bin/env bash
# Deep containers (issue 15): what libarchive cannot open — packed and installer programs,
# OLE2, PDF, RTF, mail, TNEF, CHM, SZDD, BinHex, ARJ, SIS, zip members in deflate64 or
# implode — goes to the sandboxed helper vigil-extract (libclamav), and vigil scans every
# layer it returns with its own rules and hash lists, with a member chain like an archive
# member. ClamAV's own test set (Debian clamav-testfiles: clam.exe hidden 44 ways) is found
# by the SHA-256 of clam.exe; mails, an mbox and PDFs made here with Python's email and
# mailbox packages and qpdf carry a marker a rule of ours finds only once decoded. Limits
# (depth, members) hold for deep layers; --no-deep-containers and
# antivirus_engine.deep_containers turn it off. No RTF with an embedded object and no OLE2
# file are made here: no tool among the test dependencies writes them (LibreOffice would be a
# very large one; python3-olefile only reads), and the test set has clam.exe.rtf,
# clam.ole.doc and clam.ppt.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths
# the extractor under test is the one beside $VIGIL, with no test hook unless a case sets one
unset VIGIL_EXTRACT VIGIL_EXTRACT_TEST_ARGS

CTF=/usr/share/clamav-testfiles
PY=/usr/bin/python3
for need in "$CTF/clam.exe" "$PY" qpdf zip jq; do
	[ -e "$need" ] || command -v "$need" >/dev/null ||
		{ echo "skip: needs $need (make deps: clamav-testfiles, qpdf, zip, jq, python3)"; exit 77; }
done
VX=$(dirname "$VIGIL")/vigil-extract
[ -x "$VX" ] || { echo "skip: no vigil-extract beside $VIGIL"; exit 77; }

# --- rules and hash lists -------------------------------------------------------------------

# The hidden program: by its SHA-256 (the name every count below uses) and by two strings of
# its bytes (a rule, as a YARA user would write it; some outer files show them in the clear).
HN=Vigil.Deep.ClamExe
clam_sha=$(sha "$CTF/clam.exe")
printf '%s:%s:%s\n' "$clam_sha" "$(stat -c %s "$CTF/clam.exe")" "$HN" >clam.hsb
cat >clam.yar <<'EOF'
rule Vigil_Deep_ClamExe_Bytes {
	strings:
		$box = "CLAMessageBoxA"
		$tag = "[CLAMAV]"
	condition:
		all of them
}
EOF
# The marker of the fixtures made here (in two halves: never whole in this file).
MARK=$(printf '%s%s' 'VIGIL-DEEP-TEST-' 'MARKER-1')
printf 'rule Vigil_Deep_Marker { strings: $m = "%s" condition: $m }\n' "$MARK" >marker.yar
RN=Vigil_Deep_Marker
vigil sigdb import clam.hsb >/dev/null && vigil sigdb import clam.yar >/dev/null &&
	vigil sigdb import marker.yar >/dev/null || { echo "cannot import the rules"; exit 1; }

# --- ClamAV's test set ----------------------------------------------------------------------

mkdir -p ctf
cp "$CTF"/* ctf/
nctf=$(ls ctf | wc -l)
# hashed FILE: the sorted distinct file names (in ctf/) with a detection of clam.exe's hash
hashed() { jq -r --arg n "$HN" '[.threats[] | select(.name == $n) | .path | ltrimstr("'"$T"'/ctf/")] | unique | .[]' "$1"; }

# --- mails, an mbox, a zip of a mail (Python's email and mailbox packages) -------------------

mkdir -p mail many nest qp box
MARK=$MARK T=$T "$PY" - <<'PYEOF' || { echo "cannot make the mail fixtures"; exit 1; }
import mailbox, os
from email.message import EmailMessage
mark, T = os.environ["MARK"], os.environ["T"]

def payload(name, n=40):
    # distinct bytes per attachment, the marker in the middle, a few binary bytes
    head = ("%s attachment %s\n" % ("x" * 10, name)).encode()
    body = b"".join(b"%s line %d of %s\n" % (mark.encode(), i, name.encode()) for i in range(n))
    return head + b"\x00\x01\x02\xff" + body

def mail(subject, atts, body="Hello, see the attachment.\n"):
    m = EmailMessage()
    m["From"] = "Alice <alice@example.org>"
    m["To"] = "Bob <bob@example.org>"
    m["Subject"] = subject
    m["Date"] = "Tue, 14 Nov 2023 22:13:20 +0000"
    m["Message-ID"] = "<%s@example.org>" % subject.replace(" ", ".")
    m.set_content(body)
    for name, data in atts:
        with open(os.path.join(T, "att", name), "wb") as f:
            f.write(data)
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m

os.makedirs(os.path.join(T, "att"), exist_ok=True)
with open(os.path.join(T, "mail", "one.eml"), "wb") as f:
    f.write(bytes(mail("one attachment", [("payload.bin", payload("payload.bin"))])))
with open(os.path.join(T, "nest", "x.eml"), "wb") as f:
    f.write(bytes(mail("in a zip", [("inzip.bin", payload("inzip.bin"))])))
with open(os.path.join(T, "many", "many.eml"), "wb") as f:
    f.write(bytes(mail("twelve", [("part%02d.bin" % i, payload("part%02d.bin" % i, 5))
                                  for i in range(1, 13)])))

# quoted-printable: one long text line, the marker across a soft line break
q = EmailMessage()
q["From"], q["To"], q["Subject"] = "alice@example.org", "bob@example.org", "qp"
q.set_content("A text part follows.\n")
text = "y" * 60 + mark + " and the rest of a long line " + "z" * 40 + "\n"
q.add_attachment(text, subtype="plain", filename="note.txt", cte="quoted-printable")
with open(os.path.join(T, "qp", "qp.eml"), "wb") as f:
    f.write(bytes(q))
with open(os.path.join(T, "att", "note.txt"), "w") as f:
    f.write(text)

# an mbox of two mails, each with its own attachment
mb = mailbox.mbox(os.path.join(T, "box", "two.mbox"))
mb.lock()
mb.add(mail("first of two", [("first.bin", payload("first.bin"))]))
mb.add(mail("second of two", [("second.bin", payload("second.bin"))]))
mb.flush()
mb.unlock()
mb.close()
PYEOF
(cd nest && zip -q -X mailzip.zip x.eml && rm x.eml)
att_sha=$(sha att/payload.bin)

# --- PDFs with an attachment (qpdf) ----------------------------------------------------------

mkdir -p pdf pdfsrc
printf '%%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>> endobj\ntrailer <</Size 4/Root 1 0 R>>\n%%%%EOF\n' >pdfsrc/raw.pdf
cp att/payload.bin pdfsrc/report.bin
qpdf --warning-exit-0 pdfsrc/raw.pdf pdfsrc/base.pdf 2>/dev/null &&
	qpdf pdfsrc/base.pdf --add-attachment pdfsrc/report.bin --mimetype=application/octet-stream -- pdf/flate.pdf &&
	qpdf pdfsrc/base.pdf --compress-streams=n --add-attachment pdfsrc/report.bin -- pdf/plain.pdf ||
	{ echo "cannot make the PDF fixtures"; exit 1; }

test_expect_success 'fixtures: the marker is only in decoded form (base64, quoted-printable, FlateDecode)' '
	for f in mail/one.eml many/many.eml qp/qp.eml box/two.mbox pdf/flate.pdf; do
		! grep -qa "$MARK" "$f" || { echo "$f holds the marker in the clear"; exit 1; }
	done &&
	grep -qa "$MARK" pdf/plain.pdf &&
	grep -q "^Content-Transfer-Encoding: quoted-printable" qp/qp.eml &&
	test "$(grep -c "^From " box/two.mbox)" -eq 2 &&
	qpdf --show-object=6 pdf/flate.pdf 2>/dev/null | grep -q "/FlateDecode" &&
	qpdf --list-attachments pdf/flate.pdf | grep -q "^report.bin" &&
	unzip -l nest/mailzip.zip | grep -q " x.eml$"
'

# --- ClamAV's test set ----------------------------------------------------------------------

_case=testset
test_expect_success "ClamAV's test set ($nctf files): clam.exe's hash is found in at least 40 of them" '
	test "$nctf" -eq 44 &&
	bounded 120 2000 "$VIGIL" --json scan custom ctf >deep.json &&
	test "$rc" -eq 1 &&
	jqt deep.json ".status == \"completed\"" &&
	hashed deep.json >deep.found &&
	ls ctf | sort >all.files &&
	echo "found in $(wc -l <deep.found) of $nctf; missed: $(comm -23 all.files deep.found | tr "\n" " ")" &&
	test "$(wc -l <deep.found)" -ge 40
'
if [ -s deep.json ]; then
	hashed deep.json >deep.found 2>/dev/null
	ls ctf | sort >all.files
	echo "# deep containers on: clam.exe's hash found in $(wc -l <deep.found) of $nctf files"
	echo "# missed: $(comm -23 all.files deep.found | tr '\n' ' ')"
	echo "# problems: $(jq -c '[.problems[] | {p: (.path | ltrimstr("'"$T"'/ctf/")), m: .member, k: .kind, r: .reason}]' deep.json | head -c 3000)"
fi

test_expect_success 'the hidden program in a mail: found by hash with the attachment as the last member' '
	jqt deep.json "[.threats[] | select(.path == \"$T/ctf/clam.mail\" and .name == \"$HN\" and (.member | length) >= 1 and (.member[-1] | endswith(\"clam.exe\")))] | length >= 1" &&
	jqt deep.json "all(.threats[] | select(.name == \"$HN\"); .sha256 == \"$clam_sha\" and .size == 544)"
'

test_expect_success 'a UPX-packed program: the unpacked layer is found, with a non-empty member chain labelled [TYPE]' '
	jqt deep.json "[.threats[] | select(.path == \"$T/ctf/clam-upx.exe\" and .name == \"$HN\" and (.member | length) >= 1)] | length >= 1" &&
	jqt deep.json "all(.threats[] | select(.path == \"$T/ctf/clam-upx.exe\" and (.member | length) >= 1); .member[-1] | test(\"^\\\\[[A-Z0-9_]+\\\\](#[0-9]+)?$\"))"
'

test_expect_success 'Office (OLE2), PDF, RTF, TNEF, CHM, HTML and mail encodings: each gives up clam.exe by hash' '
	miss=
	for f in clam.ole.doc clam.ppt clam.pdf clam.exe.rtf clam.tnef clam.chm clam.exe.html clam.exe.mbox.base64 \
		clam.exe.mbox.uu clam.exe.binhex clam.exe.szdd clam.arj clam.sis; do
		jq -e "[.threats[] | select(.path == \"$T/ctf/$f\" and .name == \"$HN\" and (.member | length) >= 1)] | length >= 1" deep.json >/dev/null ||
			miss="$miss $f"
	done
	echo "not found in:${miss:- none}"
	test -s deep.json && test -z "$miss"
'

test_expect_success 'zip members in deflate64 and implode (libarchive cannot): found, no problem left on them' '
	for f in clam.d64.zip clam.impl.zip; do
		jq -c ".problems[] | select(.path == \"$T/ctf/$f\")" deep.json
		jq -e "[.threats[] | select(.path == \"$T/ctf/$f\" and .name == \"$HN\" and (.member[-1] | ascii_downcase | endswith(\"clam.exe\")))] | length >= 1" deep.json >/dev/null ||
			{ echo "clam.exe not found in $f"; exit 1; }
		jq -e "[.problems[] | select(.path == \"$T/ctf/$f\")] == []" deep.json >/dev/null ||
			{ echo "problems left on $f"; exit 1; }
	done
	test -s deep.json
'

test_expect_success 'clam.zip still goes through libarchive: one detection per name, member chain [clam.exe]' '
	jqt deep.json "[.threats[] | select(.path == \"$T/ctf/clam.zip\") | [.name, .member]] | sort == [[\"$HN\", [\"clam.exe\"]], [\"Vigil_Deep_ClamExe_Bytes\", [\"clam.exe\"]]]" &&
	jqt deep.json "[.threats[] | select(.path == \"$T/ctf/clam.exe\") | [.name, .member]] | sort == [[\"$HN\", []], [\"Vigil_Deep_ClamExe_Bytes\", []]]"
'

test_expect_success 'no detection is reported twice (same file, member chain and rule); member names are never empty' '
	jqt deep.json "[.threats[] | [.path, .member, .name]] | length == (unique | length)" &&
	jqt deep.json "all(.threats[]; all(.member[]; length > 0))"
'

test_expect_success 'labels are stable: the same files scanned again give the same member chains' '
	expect_exit 1 vigil --json scan custom --no-cache ctf/clam.ole.doc ctf/clam.ppt ctf/clam-yc.exe ctf/clam.chm >st1.json &&
	expect_exit 1 vigil --json scan custom --no-cache ctf/clam.ole.doc ctf/clam.ppt ctf/clam-yc.exe ctf/clam.chm >st2.json &&
	jq -c "[.threats[] | [.path, .member, .name]] | sort" st1.json >st1.txt &&
	jq -c "[.threats[] | [.path, .member, .name]] | sort" st2.json >st2.txt &&
	test -s st1.txt && cmp st1.txt st2.txt
'

mkdir -p dup
for i in 1 2 3; do
	cp ctf/clam-upx.exe dup/u$i.exe && cp ctf/clam.mail dup/m$i.eml && cp ctf/clam.exe.szdd dup/s$i.szdd
done
test_expect_success 'identical copies in one scan are each opened (no verdict cache in the extractor), on one thread and two' '
	for n in 1 2; do
		expect_exit 1 vigil --json scan custom --threads $n --no-cache dup >dup$n.json || exit 1
		jqt dup$n.json "[.threats[] | select(.name == \"$HN\") | .path] | unique | length == 9" || exit 1
	done
'

_case=testset-off
test_expect_success '--no-deep-containers: only what libarchive opens (strictly fewer, <= 20), nothing in clam-upx.exe' '
	bounded 60 1000 "$VIGIL" --json scan custom --no-deep-containers ctf >off.json &&
	test "$rc" -eq 1 &&
	hashed off.json >off.found &&
	hashed deep.json >deep.found &&
	echo "off: $(wc -l <off.found), on: $(wc -l <deep.found)" &&
	test "$(wc -l <off.found)" -le 20 &&
	test "$(wc -l <off.found)" -lt "$(wc -l <deep.found)" &&
	jqt off.json "[.threats[] | select(.path == \"$T/ctf/clam-upx.exe\" or .path == \"$T/ctf/clam.mail\")] == []" &&
	grep -qx clam.zip off.found && grep -qx clam.tar.gz off.found &&
	jqt off.json ".objects_scanned < $(jq .objects_scanned deep.json)"
'

test_expect_success 'antivirus_engine.deep_containers false (config set) is the same as --no-deep-containers; health says so' '
	vigil --state-dir offstate sigdb import clam.hsb >/dev/null &&
	vigil --state-dir offstate config set antivirus_engine.deep_containers false &&
	test "$(vigil --state-dir offstate config get antivirus_engine.deep_containers)" = false &&
	expect_exit 1 vigil --state-dir offstate --json scan custom ctf >cfgoff.json &&
	hashed cfgoff.json >cfgoff.found && hashed off.json >off.found &&
	diff off.found cfgoff.found &&
	vigil --state-dir offstate --json health >h.json &&
	jqt h.json ".deep_containers.enabled == false" &&
	vigil --state-dir offstate config set antivirus_engine.deep_containers true &&
	expect_exit 1 vigil --state-dir offstate --json scan custom ctf/clam-upx.exe >cfgon.json &&
	jqt cfgon.json "[.threats[] | select(.name == \"$HN\")] | length >= 1"
'

test_expect_success 'the scan cache: a file scanned clean without deep containers is opened when they are on' '
	vigil --state-dir cachestate sigdb import clam.hsb >/dev/null &&
	expect_exit 0 vigil --state-dir cachestate --json scan custom --no-deep-containers ctf/clam-upx.exe ctf/clam.mail >c1.json &&
	expect_exit 1 vigil --state-dir cachestate --json scan custom ctf/clam-upx.exe ctf/clam.mail >c2.json &&
	jqt c2.json "[.threats[] | select(.name == \"$HN\") | .path] | unique == [\"$T/ctf/clam-upx.exe\", \"$T/ctf/clam.mail\"]" &&
	expect_exit 1 vigil --state-dir cachestate --json scan custom ctf/clam-upx.exe >c3.json
'

# --- mails and PDFs made here -----------------------------------------------------------------

test_expect_success 'a mail with a base64 attachment: found in the attachment, its exact bytes (sha256)' '
	expect_exit 1 vigil --json scan custom mail >m.json &&
	jqt m.json "[.threats[] | select(.name == \"$RN\") | [.path, .member]] == [[\"$T/mail/one.eml\", [\"payload.bin\"]]]" &&
	jqt m.json "(.threats[] | select(.name == \"$RN\") | .sha256) == \"$att_sha\"" &&
	jqt m.json ".objects_scanned >= 2 and .errors == 0" &&
	expect_exit 1 vigil scan custom mail >m.txt &&
	grep -qF "$T/mail/one.eml > payload.bin: $RN FOUND" m.txt
'

test_expect_success 'a quoted-printable part: the marker across a soft line break is found in note.txt' '
	expect_exit 1 vigil --json scan custom qp >q.json &&
	jqt q.json "[.threats[] | select(.name == \"$RN\") | [.path, .member[-1]]] == [[\"$T/qp/qp.eml\", \"note.txt\"]]"
'

test_expect_success 'an mbox of two mails: each attachment found, the attachment name last in each chain' '
	expect_exit 1 vigil --json scan custom box >b.json &&
	jqt b.json "[.threats[] | select(.name == \"$RN\") | .member[-1]] | sort == [\"first.bin\", \"second.bin\"]" &&
	jqt b.json "all(.threats[]; .path == \"$T/box/two.mbox\")"
'

test_expect_success 'a zip holding a mail holding the marker: member chain [x.eml, inzip.bin], outer first' '
	expect_exit 1 vigil --json scan custom nest >n.json &&
	jqt n.json "[.threats[] | select(.name == \"$RN\") | [.path, .member]] == [[\"$T/nest/mailzip.zip\", [\"x.eml\", \"inzip.bin\"]]]" &&
	expect_exit 1 vigil scan custom nest >n.txt &&
	grep -qF "$T/nest/mailzip.zip > x.eml > inzip.bin: $RN FOUND" n.txt
'

# label_ok: the last member names the attachment or is a [TYPE] / [TYPE]#n label
label_ok='(.member[-1] == "report.bin" or (.member[-1] | test("^\\[[A-Z0-9_]+\\](#[0-9]+)?$")))'
test_expect_success 'a PDF with a FlateDecode attachment (qpdf): found in a layer named report.bin or [TYPE]' '
	expect_exit 1 vigil --json scan custom pdf/flate.pdf >p.json &&
	jqt p.json "[.threats[] | select(.name == \"$RN\")] | length >= 1" &&
	jqt p.json "all(.threats[] | select(.name == \"$RN\"); .path == \"$T/pdf/flate.pdf\" and (.member | length) >= 1 and $label_ok)" &&
	jq -c "[.threats[] | .member]" p.json
'

test_expect_success 'a PDF with an uncompressed attachment: found in the file and in the attachment layer' '
	expect_exit 1 vigil --json scan custom pdf/plain.pdf >pu.json &&
	jqt pu.json "[.threats[] | select(.name == \"$RN\" and .member == [])] | length == 1" &&
	jqt pu.json "[.threats[] | select(.name == \"$RN\" and (.member | length) >= 1 and $label_ok)] | length >= 1"
'

test_expect_success 'without deep containers none of the made fixtures is opened (the plain PDF matches on its own bytes)' '
	expect_exit 1 vigil --json scan custom --no-deep-containers mail qp box nest pdf >fo.json &&
	jqt fo.json "[.threats[] | [.path, .member]] == [[\"$T/pdf/plain.pdf\", []]]"
'

# --- limits -----------------------------------------------------------------------------------

test_expect_success '--max-recursion 1: zip > mail is a limit on [x.eml], the attachment is not reached' '
	expect_exit 0 vigil --json scan custom --max-recursion 1 nest >l1.json &&
	jqt l1.json ".threats == []" &&
	jqt l1.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/nest/mailzip.zip\" and .member == [\"x.eml\"])] | length == 1" &&
	expect_exit 1 vigil --json scan custom --max-recursion 2 nest >l2.json &&
	jqt l2.json "[.threats[] | .member] == [[\"x.eml\", \"inzip.bin\"]] and .problems == []"
'

test_expect_success '--max-recursion 0: a mail is not opened (a limit on the file itself)' '
	expect_exit 0 vigil --json scan custom --max-recursion 0 mail/one.eml >l0.json &&
	jqt l0.json ".threats == []" &&
	jqt l0.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/mail/one.eml\" and .member == [])] | length == 1"
'

test_expect_success 'the default depth of 8: clam_cache_emax.tgz is still limited where it was (8 tgz deep)' '
	jqt deep.json "[.problems[] | select(.path == \"$T/ctf/clam_cache_emax.tgz\" and .kind == \"limit\" and (.reason | test(\"deeper than 8\")) and .member == [range(1; 9) | \"clam0\\(.).tgz\"])] | length == 1" &&
	jqt deep.json "all(.problems[] | select(.path == \"$T/ctf/clam_cache_emax.tgz\"); .kind == \"limit\" and (.member | length) == 8)"
'

test_expect_success 'a mail with 12 attachments: all found; archive_max_members 3 (config set) stops it with a limit' '
	expect_exit 1 vigil --json scan custom many >all12.json || exit 1
	jqt all12.json "[.threats[] | select(.name == \"$RN\") | .member[-1]] | sort == [range(1; 13) | \"part\\(if . < 10 then \"0\" else \"\" end)\\(.).bin\"]" || exit 1
	vigil --state-dir memstate sigdb import marker.yar >/dev/null || exit 1
	vigil --state-dir memstate config set antivirus_engine.archive_max_members 3 || exit 1
	rc=0; vigil --state-dir memstate --json scan custom many >m3.json || rc=$?
	test "$rc" -eq 0 -o "$rc" -eq 1 &&
	jqt m3.json "[.threats[] | select(.name == \"$RN\")] | length <= 3" &&
	jq -c ".problems" m3.json &&
	jqt m3.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/many/many.eml\" and (.reason | test(\"members|MaxFiles\")))] | length == 1"
'

# --- inventory and totals -----------------------------------------------------------------------

test_expect_success '--inventory: one row per file on disk (deep layers are objects, like archive members, not rows)' '
	expect_exit 1 vigil scan custom mail box nest --inventory --report json:inv.json >/dev/null &&
	nfiles=$(find mail box nest -type f | wc -l) &&
	jqt inv.json ".inventory | length == $nfiles" &&
	jqt inv.json ".totals.objects_scanned > .totals.files_scanned" &&
	jqt inv.json "(.inventory[] | select(.path == \"$T/mail/one.eml\") | .sha256) == \"$(sha mail/one.eml)\"" &&
	jqt inv.json "[.detections[] | select(.path == \"$T/mail/one.eml\") | .member] == [[\"payload.bin\"]]" &&
	expect_exit 1 vigil --json scan custom mail box nest >on.json &&
	expect_exit 0 vigil --json scan custom --no-deep-containers mail box nest >offm.json &&
	echo "objects: deep $(jq .objects_scanned on.json), without $(jq .objects_scanned offm.json)" &&
	jqt on.json ".objects_scanned >= $(jq .objects_scanned offm.json) + 4"
'

# --- a guard against gross regressions (a hang) -------------------------------------------------

_case=guard
test_timing 'the test set and the fixtures together, deep: < 60 s, < 1500 MB (a hang guard, not a benchmark)' '
	bounded 60 1500 "$VIGIL" --json scan custom ctf mail qp box nest pdf many >g.json &&
	test "$rc" -eq 1 &&
	jqt g.json ".status == \"completed\""
'

sed 's/^/# figure: /' figures.txt 2>/dev/null
test_done
