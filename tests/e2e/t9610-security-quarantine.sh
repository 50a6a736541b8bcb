#!/usr/bin/env bash
# Security (issue 24): scan-time quarantine attacked by a local user. Root runs
# `scan custom U gate --threads 1 --action quarantine` over a folder U that vigil-attacker
# owns; vg-gate holds the one worker's open of gate/g (scanned after U's files: one thread,
# the roots in order) while the attacker swaps what U's detected name points to. The
# quarantine step runs at the end of the scan, after the swap: it must act only on the file
# that was scanned (device, inode, size, mtime, ctime), reached without following links, and
# otherwise record "changed since it was scanned: not quarantined" and move nothing.
# Also: the positive control (no swap), "N other links remain", quarantine add through a
# symlinked folder, restore into a folder swapped for a symlink.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths

if [ "$(id -u)" -ne 0 ] || ! command -v jq >/dev/null || ! command -v setpriv >/dev/null; then
	echo "skip: needs root, jq and setpriv"
	exit 77
fi
if [ ! -x "$VG_GATE" ]; then
	echo "skip: no $VG_GATE (make e2e-helpers)"
	exit 77
fi
attacker_user || exit 1
chmod 755 "$T" # the attacker reaches U, and the 0666 file of case c, through $T

EICAR_SHA=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
CHANGED="changed since it was scanned: not quarantined"

# waitfor SECS FILE: true as soon as FILE exists.
waitfor() {
	local i=0
	while [ ! -e "$2" ]; do
		[ "$i" -ge $(($1 * 20)) ] && return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# setup CASE: $T/CASE with U (vigil-attacker's, 0755), R (root's, 0700) holding shadow
# (0600, "root secret", no malware), gate/g (clean, root's). Prints nothing.
setup() {
	local d=$T/$1
	mkdir -p "$d/U" "$d/R" "$d/gate" &&
		chown vigil-attacker: "$d/U" && chmod 755 "$d/U" && chmod 700 "$d/R" &&
		echo "root secret" >"$d/R/shadow" && chmod 600 "$d/R/shadow" &&
		echo "clean gate" >"$d/gate/g"
}

# race CASE SWAP: the scan of CASE's U and gate, quarantining, with vg-gate running SWAP
# (sh -c, as vigil-attacker, in U) while the worker waits on gate/g. Leaves scan.json,
# scan.rc (the scan's exit), gate.rc (the swap's exit: 0 when it ran) in $T/CASE.
race() {
	local d=$T/$1 gate
	rm -f "$d/armed"
	"$VG_GATE" --ready "$d/armed" --timeout 60 "$d/gate/g" -- \
		setpriv --reuid="$ATTACKER_UID" --regid="$ATTACKER_GID" --clear-groups -- \
		sh -c "cd '$d/U' && $2" >"$d/gate.out" 2>&1 &
	gate=$!
	waitfor 10 "$d/armed" || { echo "vg-gate was not armed" >&2; cat "$d/gate.out" >&2; kill "$gate"; return 1; }
	local rc=0
	"$VIGIL" --json scan custom "$d/U" "$d/gate" --threads 1 --action quarantine >"$d/scan.json" 2>"$d/scan.err" || rc=$?
	echo $rc >"$d/scan.rc"
	rc=0; wait "$gate" || rc=$?
	echo $rc >"$d/gate.rc"
	echo "scan exit $(cat "$d/scan.rc"), swap exit $(cat "$d/gate.rc")"
	cat "$d/gate.out" "$d/scan.err" >&2
	test "$(cat "$d/gate.rc")" -eq 0
}

# vault CASE: quarantine list --json into $T/CASE/q.json; the scan's id in SID.
vault() {
	SID=$(jq -e .scan_id "$T/$1/scan.json") && vigil --json quarantine list >"$T/$1/q.json"
}

# not_quarantined CASE PATH: the scan's JSON (scan show) records PATH's threat as not
# quarantined, with a problem saying it changed since it was scanned; the vault holds
# nothing from this scan.
not_quarantined() {
	local d=$T/$1
	vigil --json scan show "$SID" >"$d/show.json" &&
		jqt "$d/show.json" "[.threats[] | select(.path == \"$2\")] | length >= 1 and
			all(.[]; .action | test(\"^quarantined\") | not)" &&
		jqt "$d/show.json" "[.problems[] | select(.reason | contains(\"$CHANGED\"))] | length >= 1" &&
		jqt "$d/q.json" "[.items[] | select(.scan_id == $SID)] | length == 0"
}

# a. The detected file's folder is swapped for a symlink to a root-only folder.
setup a
mkdir "$T/a/U/dir" && eicar "$T/a/U/dir/shadow"
chown -R vigil-attacker: "$T/a/U/dir"
test_expect_success 'a. folder swapped for a symlink to a root-only folder after the scan read it: the root file is not taken' '
	d=$T/a && race a "mv dir dir.away && ln -s \"$d/R\" dir" && vault a &&
	test "$(cat "$d/scan.rc")" -eq 1 &&
	test -L "$d/U/dir" &&
	test "$(cat "$d/R/shadow")" = "root secret" &&
	test "$(stat -c %a:%u "$d/R/shadow")" = 600:0 &&
	jqt "$d/q.json" "[.items[] | select(.sha256 == \"$(sha "$d/R/shadow")\")] | length == 0" &&
	not_quarantined a "$d/U/dir/shadow" &&
	test "$(sha "$d/U/dir.away/shadow")" = "$EICAR_SHA"
'

# b. The detected file is kept under another name (hard link) and a clean file renamed over it.
setup b
eicar "$T/b/U/x" && chown vigil-attacker: "$T/b/U/x"
test_expect_success 'b. hard link + rename over the detected name: the clean file is not taken, the threat not called quarantined' '
	d=$T/b && race b "ln x .keep && printf clean >y && mv y x" && vault b &&
	test "$(cat "$d/scan.rc")" -eq 1 &&
	test "$(sha "$d/U/.keep")" = "$EICAR_SHA" &&
	test "$(cat "$d/U/x")" = clean &&
	not_quarantined b "$d/U/x"
'

# c. A hard link to a root-owned 0666 file renamed over the detected name.
setup c
eicar "$T/c/U/x" && chown vigil-attacker: "$T/c/U/x"
printf 'root data' >"$T/root666" && chmod 666 "$T/root666"
test_expect_success 'c. hard link to a root-owned 0666 file renamed over the detected name: its content stays out of the vault' '
	d=$T/c && race c "ln \"$T/root666\" h && mv h x" && vault c &&
	test "$(cat "$d/scan.rc")" -eq 1 &&
	test "$(cat "$T/root666")" = "root data" && test "$(stat -c %a:%u "$T/root666")" = 666:0 &&
	jqt "$d/q.json" "[.items[] | select(.sha256 == \"$(sha "$T/root666")\")] | length == 0" &&
	not_quarantined c "$d/U/x"
'

# d. Positive control: the same scan, nothing swapped.
setup d
eicar "$T/d/U/x" && chown vigil-attacker: "$T/d/U/x" && cp -p "$T/d/U/x" "$T/d/orig"
# (a state folder of its own: the restore opens the restoration window for EICAR's sha256)
test_expect_success 'd. control, no swap: U/x is quarantined (gone, in the vault) and restores byte for byte' '
	export VIGIL_STATE_DIR=$T/state-d && d=$T/d && race d true && vault d &&
	test "$(cat "$d/scan.rc")" -eq 1 &&
	test ! -e "$d/U/x" &&
	jqt "$d/scan.json" "[.threats[] | select(.path == \"$d/U/x\")][0].action | test(\"^quarantined as item [0-9]+\")" &&
	id=$(jq -e "[.items[] | select(.scan_id == $SID and .path == \"$d/U/x\" and .sha256 == \"$EICAR_SHA\")][0].id" "$d/q.json") &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null &&
	cmp "$d/orig" "$d/U/x" && test "$(stat -c %U "$d/U/x")" = vigil-attacker
'

# e. Other hard links to a quarantined file keep its content reachable: say so.
mkdir -p "$T/e" && eicar "$T/e/x" && ln "$T/e/x" "$T/e/x2" && eicar "$T/e/y" && ln "$T/e/y" "$T/e/y2" && ln "$T/e/y" "$T/e/y3"
# links_said FILE N TEXT: the scan of FILE alone said TEXT, on its output or in the threat's action
links_said() {
	local rc=0
	vigil scan custom "$1" --action quarantine >"$1.out" 2>&1 || rc=$?
	test $rc -eq 1 && test ! -e "$1" || { cat "$1.out"; return 1; }
	vigil --json threat list >"$1.t.json" &&
	{ grep -qF "$2" "$1.out" ||
		jq -e --arg p "$1" --arg s "$2" "[.threats[] | select(.path == \$p and (.action | contains(\$s)))] | length > 0" "$1.t.json" >/dev/null ||
		{ echo "\"$2\" said nowhere:"; cat "$1.out"; jq -c "[.threats[] | select(.path == \"$1\")]" "$1.t.json"; return 1; }; }
}
test_expect_success 'e. quarantine of a file with one other hard link says "1 other link remains"' '
	links_said "$T/e/x" "1 other link remains" && test "$(sha "$T/e/x2")" = "$EICAR_SHA"
'
test_expect_success 'e. with two other hard links: "2 other links remain"' '
	links_said "$T/e/y" "2 other links remain" && test -e "$T/e/y2" && test -e "$T/e/y3"
'

# f. quarantine add by hand, through the attacker's symlink to a root-only folder.
setup f
as_attacker ln -s "$T/f/R" "$T/f/U/dir"
test_expect_success 'f. quarantine add U/dir/shadow with U/dir an attacker'"'"'s symlink to a root-only folder: refused (exit 2), nothing moved' '
	rc=0; d=$T/f && expect_exit 2 vigil quarantine add "$d/U/dir/shadow" >out 2>err || rc=$?
	cat out err; test "$rc" -eq 0 &&
	test "$(cat "$d/R/shadow")" = "root secret" && test "$(stat -c %a:%u "$d/R/shadow")" = 600:0 &&
	vigil --json quarantine list >q.json &&
	jqt q.json "[.items[] | select(.sha256 == \"$(sha "$d/R/shadow")\")] | length == 0"
'

# g. Kept safe: restore into a folder the attacker swapped for a symlink to a root-only folder.
setup g
mkdir "$T/g/U/dir" && eicar "$T/g/U/dir/evil" && chown -R vigil-attacker: "$T/g/U/dir"
test_expect_success 'g. restore into a folder swapped for a symlink to a root-only folder: refused, nothing written there' '
	d=$T/g && vigil --json quarantine add "$d/U/dir/evil" >qa.json && id=$(jq -e ".items[0].id" qa.json) &&
	as_attacker sh -c "cd \"$d/U\" && mv dir dir.away && ln -s \"$d/R\" dir" &&
	expect_exit 2 vigil quarantine restore "$id" 2>err && cat err &&
	test ! -e "$d/R/evil" && test "$(ls -A "$d/R")" = shadow &&
	vigil --json quarantine list >q.json && jqt q.json "[.items[] | select(.id == $id)] | length == 1"
'

test_done
