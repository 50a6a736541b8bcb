#!/usr/bin/env bash
# Packaging: make install / uninstall (DESTDIR, PREFIX, the unit's ExecStart), the man page
# (renders without warnings, names every command of `vigil help`), the bash completion
# (simulated <TAB> presses), and make deb: control fields, then dpkg -i / -r / -P on this
# machine, never leaving the package installed.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

version=$(sed -n 's/^VERSION *:= *//p' "$repo/Makefile")
# make in the repository, not here, and not as part of the caller's make (jobserver)
repo_make() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN make -C "$repo" "$@"; }
# mode FILE: its permission bits in octal
mode() { stat -c %a "$1"; }

# --- (a) make install / uninstall -----------------------------------------------------------
test_expect_success 'make install DESTDIR PREFIX=/usr: binary, extractor, image reader, btrfs shim, licences, man page, completion, unit, with sane modes' '
	repo_make install DESTDIR="$T/stage" PREFIX=/usr >install.log 2>&1 || { cat install.log; exit 1; }
	s=$T/stage &&
	test -f $s/usr/bin/vigil && test "$(mode $s/usr/bin/vigil)" = 755 &&
	test -f $s/usr/share/man/man1/vigil.1.gz && test "$(mode $s/usr/share/man/man1/vigil.1.gz)" = 644 &&
	f=$s/usr/share/bash-completion/completions/vigil && test -f $f && test "$(mode $f)" = 644 &&
	f=$s/lib/systemd/system/vigil.service && test -f $f && test "$(mode $f)" = 644 &&
	f=$s/usr/lib/vigil/vigil-extract && test -f $f && test "$(mode $f)" = 755 &&
	f=$s/usr/lib/vigil/vigil-image && test -f $f && test "$(mode $f)" = 755 &&
	f=$s/usr/lib/vigil/vigil-btrfs.so && test -f $f && test "$(mode $f)" = 755 &&
	cmp $s/usr/share/doc/vigil/LICENSE "$repo/LICENSE" &&
	cmp $s/usr/share/doc/vigil/LICENSE.vigil-extract "$repo/extract/LICENSE" &&
	test "$(find $s -type f | wc -l)" -eq 11 &&
	cmp $s/usr/share/doc/vigil/report-schema.md "$repo/docs/report-schema.md" &&
	! find $s -type d ! -perm 755 | grep . &&
	$s/usr/bin/vigil --version | grep -qx "vigil $version (libyara [0-9.]*)" &&
	gzip -dc $s/usr/share/man/man1/vigil.1.gz | cmp - "$repo/docs/vigil.1" &&
	cmp $s/usr/share/bash-completion/completions/vigil "$repo/contrib/vigil.bash-completion"
'

test_expect_success 'the installed vigil finds its installed extractor and image reader (PREFIX/lib/vigil) and they work' '
	VIGIL_STATE_DIR=$T/inst-state $T/stage/usr/bin/vigil --json health >inst-health.json &&
	jqt inst-health.json ".deep_containers.available == true and .deep_containers.extractor == \"$T/stage/usr/lib/vigil/vigil-extract\"" &&
	jqt inst-health.json ".image_reader.available == true and .image_reader.reader == \"$T/stage/usr/lib/vigil/vigil-image\" and (.image_reader.sandbox | contains(\"seccomp\"))"
'

test_expect_success 'the installed unit runs /usr/bin/vigil daemon; nothing else of it changed' '
	u=$T/stage/lib/systemd/system/vigil.service &&
	grep -qx "ExecStart=/usr/bin/vigil daemon" $u && ! grep -q "^ExecStart=/usr/local" $u &&
	expect_exit 1 diff "$repo/contrib/vigil.service" $u >unit.diff &&
	test "$(grep -c "^[<>]" unit.diff)" -eq 2
'

test_expect_success 'another PREFIX: the unit below it, naming PREFIX/bin/vigil; make uninstall removes the four files' '
	repo_make install DESTDIR="$T/opt" PREFIX=/opt/vigil >install2.log 2>&1 || { cat install2.log; exit 1; }
	grep -qx "ExecStart=/opt/vigil/bin/vigil daemon" "$T/opt/opt/vigil/lib/systemd/system/vigil.service" &&
	test -x "$T/opt/opt/vigil/bin/vigil" && test ! -e "$T/opt/lib" &&
	repo_make uninstall DESTDIR="$T/opt" PREFIX=/opt/vigil >uninstall.log 2>&1 &&
	test "$(find "$T/opt" -type f | wc -l)" -eq 0
'

# --- (b) the man page -------------------------------------------------------------------------
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	test_skip 'man page' 'needs man-db and groff (make deps)'
else
	test_expect_success 'the man page: no groff warnings (-ww), man -l renders it without a message' '
		groff -man -ww -z "$repo/docs/vigil.1" 2>groff.err; cat groff.err; test ! -s groff.err &&
		rc=0; MANWIDTH=80 man -l "$repo/docs/vigil.1" >man.out 2>man.err || rc=$?
		cat man.err; test "$rc" -eq 0 && test ! -s man.err && grep -q "^NAME" man.out &&
		test "$(awk "length > 80" man.out | wc -l)" -eq 0 &&
		MANWIDTH=80 man -l "$T/stage/usr/share/man/man1/vigil.1.gz" 2>&1 | cmp - man.out
	'

	test_expect_success 'the man page names every command of vigil help ("vigil FAMILY VERB")' '
		sed "s/.\x08//g" man.out | tr -s " \n" "  " >man.flat &&
		vigil help | sed -n "s/^  vigil //p" >cmds && test "$(wc -l <cmds)" -ge 30 &&
		n=0 && while read -r fam verb rest; do
			case $verb in
			*[!a-z]* | "") want="vigil $fam" ;;
			*) want="vigil $fam $verb" ;;
			esac
			n=$((n + 1))
			grep -qF "$want" man.flat || { echo "the man page lacks: $want"; exit 1; }
		done <cmds && test "$n" -ge 30
	'
fi

# --- (c) bash completion ------------------------------------------------------------------------
mkdir -p bin "files/a dir"
ln -s "$VIGIL" bin/vigil
touch "files/a dir/b c.txt"
# complete MODE WORD...: the replies, one a line, for the command line WORD... with the cursor
# at the end of the last word (pass "" to press <TAB> after a space). MODE plain sources only
# contrib/vigil.bash-completion; full loads bash-completion first (_init_completion).
complete_words() {
	local mode=$1
	shift
	PATH="$T/bin:$PATH" bash --norc --noprofile -c '
		mode=$1 file=$2; shift 2
		if [ "$mode" = full ]; then source /usr/share/bash-completion/bash_completion || exit 3; fi
		source "$file" || exit 3
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_vigil vigil "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' complete "$mode" "$repo/contrib/vigil.bash-completion" "$@"
}
# same WORD...: true when the replies on stdin, as a set, are the WORDs
same() {
	sort -u >got
	printf '%s\n' "$@" | sort -u >want
	cmp -s got want || { echo "got: [$(paste -sd"|" got)] want: [$(paste -sd"|" want)]"; return 1; }
}
scan_verbs=$(vigil help | awk '$1 == "vigil" && $2 == "scan" && $3 ~ /^[a-z]+$/ {print $3}' | sort -u | tr '\n' ' ')
families=$(vigil help | sed -n 's/^  vigil \([a-z]*\).*/\1/p' | sort -u | tr '\n' ' ')

modes=plain
if [ -r /usr/share/bash-completion/bash_completion ]; then modes="plain full"; fi
for m in $modes; do
	test_expect_success "completion ($m): vigil <TAB> offers every family of vigil help" '
		test -n "$families" && complete_words '$m' vigil "" | same $families
	'
	test_expect_success "completion ($m): vigil scan <TAB> offers quick full custom list show (the scan verbs of vigil help)" '
		for v in quick full custom list show; do echo " $scan_verbs " | grep -q " $v " || exit 1; done &&
		complete_words '$m' vigil scan "" | same $scan_verbs
	'
	test_expect_success "completion ($m): vigil report 1 --format <TAB> offers the five formats" '
		complete_words '$m' vigil report 1 --format "" | same json jsonl csv html bodyfile
	'
	test_expect_success "completion ($m): vigil scan custom --inv<TAB> offers --inventory" '
		complete_words '$m' vigil scan custom --inv | same --inventory
	'
	test_expect_success "completion ($m): threat allow <TAB>, --sha<TAB>, global options, a file name with spaces" '
		complete_words '$m' vigil threat allow "" | same add remove list &&
		complete_words '$m' vigil threat allow add --sha | same --sha256 &&
		complete_words '$m' vigil --state-dir /tmp sc | same scan &&
		complete_words '$m' vigil --vers | same --version &&
		complete_words '$m' vigil scan custom "files/a" | same "files/a dir"
	'
done
if [ "$modes" = plain ]; then
	test_skip 'completion with bash-completion loaded' 'bash-completion is not installed'
fi

# --- (d) make deb, dpkg -i / -r / -P --------------------------------------------------------
deb=$repo/dist/vigil_${version}_$(dpkg --print-architecture).deb
test_expect_success 'make deb builds dist/vigil_VERSION_ARCH.deb' '
	repo_make deb >deb.log 2>&1 || { tail -n 30 deb.log; exit 1; }
	test -s "$deb" && ! ls -A | grep -q "\.deb$"
'

test_expect_success 'the control file: Package, Version, Architecture, Maintainer, Section, Priority, Depends from ldd' '
	dpkg-deb -f "$deb" >control &&
	grep -qx "Package: vigil" control && grep -qx "Version: $version" control &&
	grep -qx "Architecture: amd64" control && grep -q "^Maintainer: .\+<.\+@.\+>" control &&
	grep -qx "Section: utils" control && grep -qx "Priority: optional" control &&
	grep -q "^Description: ." control &&
	dep=$(sed -n "s/^Depends: //p" control) &&
	for p in libc6 libyara9 libarchive13 libmagic1 libsqlite3-0 libjansson4 libssl3; do
		echo ", $dep," | grep -q ", $p," || { echo "Depends lacks $p: $dep"; exit 1; }
	done
'

test_expect_success 'the package: its eleven files, owned by root, no systemd enablement; btrfs-progs recommended' '
	dpkg-deb -c "$deb" >contents &&
	! awk "{print \$2}" contents | grep -v "^root/root$" &&
	for f in ./usr/bin/vigil ./usr/share/man/man1/vigil.1.gz ./usr/share/bash-completion/completions/vigil \
		./lib/systemd/system/vigil.service ./usr/share/doc/vigil/report-schema.md \
		./usr/share/doc/vigil/report-schema.json ./usr/lib/vigil/vigil-extract \
		./usr/lib/vigil/vigil-image ./usr/lib/vigil/vigil-btrfs.so \
		./usr/share/doc/vigil/LICENSE ./usr/share/doc/vigil/LICENSE.vigil-extract; do
		grep -q " $f$" contents || { echo "missing $f"; exit 1; }
	done &&
	test "$(grep -c "^-" contents)" -eq 11 &&
	test "$(dpkg-deb -f "$deb" Recommends)" = btrfs-progs &&
	dpkg-deb -f "$deb" Depends | grep -q "libclamav" &&
	dpkg-deb --ctrl-tarfile "$deb" | tar -t >ctrl && ! grep -q conffiles ctrl &&
	dpkg-deb -I "$deb" postinst | grep -v "^#" | grep -q "daemon-reload" &&
	! dpkg-deb -I "$deb" postinst | grep -v "^[[:space:]]*#" | grep -Eq "enable|start" &&
	! dpkg-deb -I "$deb" postrm | grep -v "^[[:space:]]*#" | grep -q "rm "
'

# dpkg -i on this machine: only when nothing of vigil is there already, as root, and always
# purged again (trap) whatever happens.
installed_by_us=0
purge_ours() {
	if [ "$installed_by_us" -eq 1 ] && dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -qv "not-installed"; then
		dpkg -P vigil >/dev/null 2>&1
	fi
}
trap 'purge_ours; cleanup' EXIT
trap 'exit 130' INT TERM HUP
skip_why=""
if [ "$(id -u)" -ne 0 ]; then
	skip_why="needs root"
elif [ ! -s "$deb" ]; then
	skip_why="no package was built"
elif dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -qv "not-installed"; then
	skip_why="a vigil package is already on this machine; it is left alone"
else
	for f in /usr/bin/vigil /usr/share/man/man1/vigil.1.gz /usr/share/bash-completion/completions/vigil \
		/lib/systemd/system/vigil.service /usr/lib/systemd/system/vigil.service; do
		[ -e "$f" ] && skip_why="$f exists (installed by hand?); it is left alone"
	done
fi

# minimal images may tell dpkg not to unpack man pages or docs (path-exclude=/usr/share/man/*)
man_excluded=0 doc_excluded=0
if grep -qs "^path-exclude[= ]*/usr/share/man" /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then man_excluded=1; fi
if grep -qs "^path-exclude[= ]*/usr/share/doc" /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then doc_excluded=4; fi
if [ -n "$skip_why" ]; then
	test_skip 'dpkg -i / -r / -P of the package' "$skip_why"
else
	installed_by_us=1
	test_expect_success 'dpkg -i installs it: vigil --version, the man page, the completion, the unit' '
		dpkg -i "$deb" >dpkg-i.log 2>&1 || { cat dpkg-i.log; exit 1; }
		dpkg-query -W -f="\${Status} \${Version}" vigil | grep -qx "install ok installed $version" &&
		/usr/bin/vigil --version | grep -qx "vigil $version (libyara [0-9.]*)" &&
		if [ "$man_excluded" -eq 0 ]; then
			man -w vigil | grep -qx "/usr/share/man/man1/vigil.1.gz" &&
			MANWIDTH=80 man vigil 2>&1 | grep -q "offline forensic malware scanner" || exit 1
		fi &&
		test -f /usr/share/bash-completion/completions/vigil &&
		grep -qx "ExecStart=/usr/bin/vigil daemon" /lib/systemd/system/vigil.service &&
		test ! -e /etc/systemd/system/multi-user.target.wants/vigil.service
	'

	dpkg -L vigil 2>/dev/null >listed
	test_expect_success 'dpkg -r removes every file it installed; dpkg -P purges it' '
		grep -qx "/usr/bin/vigil" listed && test "$(wc -l <listed)" -ge 4 &&
		while read -r f; do [ -d "$f" ] || echo "$f"; done <listed >listed-files &&
		test "$(wc -l <listed-files)" -eq $((11 - man_excluded - doc_excluded)) &&
		dpkg -r vigil >dpkg-r.log 2>&1 || { cat dpkg-r.log; exit 1; }
		while read -r f; do
			if [ -e "$f" ] || [ -L "$f" ]; then echo "left behind: $f"; exit 1; fi
		done <listed-files &&
		dpkg -P vigil >dpkg-p.log 2>&1 || { cat dpkg-p.log; exit 1; }
		! dpkg-query -W -f="\${Status}" vigil 2>/dev/null | grep -qv "not-installed" &&
		test ! -e /usr/bin/vigil
	'
fi

test_done
