#!/usr/bin/env bash
# The HTML report: one self-contained page (CSP default-src 'none', inline CSS and SVG, no
# script, nothing loaded from anywhere) that headless Chromium renders; hostile file names
# stay text.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

PY=/usr/bin/python3

if ! [ -x "$PY" ] || ! command -v jq >/dev/null || ! command -v zip >/dev/null; then
	echo "skip: needs $PY, jq and zip"
	exit 77
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
export HOME="$T/home"
mkdir -p "$HOME"
# chrome ARGS...: headless Chromium with a private profile; its chatter on stderr goes away.
chrome() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/profile" "$@" 2>>chrome.log
}

img_name='<img src=x onerror=alert(1)>.exe'
script_dir='<script>document.title="pwned"<'
script_name='script>.txt' # with its folder: <script>document.title="pwned"</script>.txt
eicar e.com
mkdir -p tree/sub "tree/$script_dir" zsrc
eicar tree/plain.com
eicar "tree/$img_name"
eicar "tree/$script_dir/$script_name"
zip -q in.zip e.com && zip -q tree/sub/outer.zip in.zip
eicar 'zsrc/<svg onload=alert(2)>.com'
(cd zsrc && zip -q ../tree/members.zip ./*)
echo "clean" >tree/clean.txt
head -c 5000 /dev/zero >tree/big.bin
printf 'PK\003\004this is not really a zip file at all' >tree/garbage.zip

expect_exit 1 vigil scan custom tree --max-filesize 1000 --case 'C-42' \
	--examiner "Ann O'Neil & <Co>" --report html:r.html --report json:r.json >scan.out
scan=$(jq -r .scan.scan_id r.json)
ndet=$(jq '.detections | length' r.json)
nerr=$(jq '.errors | length' r.json)

test_expect_success 'the scan wrote an html report and a json one of the same scan' '
	test -s r.html && test "$scan" -ge 1 && test "$ndet" -eq 5 && test "$nerr" -ge 1 &&
	jqt r.json "[.errors[] | select(.path == \"$T/tree/big.bin\" and .kind == \"skipped\")] | length == 1" &&
	grep -q "^[0-9a-f]\{64\}  r.html$" scan.out
'

test_expect_success 'html: rendered again from the store, byte for byte' '
	vigil report $scan --format html --out again.html >line && sha256sum -c line &&
	cmp r.html again.html && vigil report verify again.html | grep -q "^OK: report [0-9]* of scan $scan "
'

test_expect_success 'html: CSP meta tag (default-src none); no script, no src or href, no URL loaded' '
	report_check html-static r.html &&
	grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src '"'"'none'"'"'" r.html &&
	! grep -qi "<script" r.html && ! grep -qiE "<[^>]* (src|href)=" r.html
'

test_expect_success 'html: the case id and the examiner are in the page (escaped)' '
	report_check html-text r.html "C-42" "Ann O'"'"'Neil & <Co>" &&
	! grep -qF "<Co>" r.html && grep -qF "&lt;Co&gt;" r.html
'

test_expect_success 'html: sections and tables are there: summary, charts, detections, errors, custody' '
	for id in summary charts detections detections-table errors errors-table custody; do
		grep -q "id=\"$id\"" r.html || { echo "no id $id" >&2; exit 1; }
	done &&
	test "$(grep -o "<tr class=\"detection\">" r.html | wc -l)" -eq "$ndet" &&
	test "$(grep -o "<tr class=\"error\">" r.html | wc -l)" -eq "$nerr" &&
	grep -q "<svg" r.html
'

if [ -z "$CHROMIUM" ]; then
	test_skip 'chromium renders a screenshot of the report' 'no chromium'
	test_skip 'chromium DOM: detection and error rows, the title, no img, no script' 'no chromium'
	test_skip 'chromium DOM: hostile names are text' 'no chromium'
	test_done
fi

test_expect_success 'chromium renders a screenshot of the report (PNG, > 10 KB, 1400 wide)' '
	chrome --screenshot="$T/shot.png" --window-size=1400,2000 "file://$T/r.html" >/dev/null &&
	test "$(head -c 8 shot.png | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a &&
	test "$(wc -c <shot.png)" -gt 10240 &&
	test "$(od -An -tu1 -j16 -N4 shot.png | awk "{print \$1*16777216 + \$2*65536 + \$3*256 + \$4}")" -eq 1400
'

chrome --dump-dom "file://$T/r.html" >dom.html
test_expect_success 'chromium DOM: one row per detection and per error, title kept, no img and no script' '
	test -s dom.html &&
	report_check html-dom dom.html "$ndet" "$nerr" "vigil scan $scan report"
'

test_expect_success 'chromium DOM: the hostile names are text, not elements' '
	grep -qF "&lt;img src=x onerror=alert(1)&gt;.exe" dom.html &&
	report_check html-text dom.html "$T/tree/$img_name" "$T/tree/<script>document.title=\"pwned\"</script>.txt" \
		"<svg onload=alert(2)>.com" "Ann O'"'"'Neil & <Co>" &&
	! grep -qi "<script" dom.html && ! grep -q "<img" dom.html && ! grep -q "pwned</title>" dom.html
'

test_done
