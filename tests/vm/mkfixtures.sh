#!/bin/bash
# tests/vm/mkfixtures.sh OUTDIR: puts into OUTDIR the disk-image fixtures that need device-mapper
# to make (LUKS1, LUKS2, LVM, the RHEL layout), MANIFEST and luks.pass. See tests/vm/README.
#
# They are built inside a throwaway Debian 12 VM (qemu, TCG, no network) and cached in
#   $VIGIL_FIXTURE_CACHE (default /var/cache/vigil-test-fixtures)/<key>/
# where <key> is the sha256 of the files in tests/vm but README, so a build happens only when
# these scripts change. The VM's root (mmdebstrap, a few minutes) is cached apart, in
# root-<sha256 of mkroot.sh>/, so a change to the fixtures alone does not remake it.
#
# Environment:
#   VIGIL_FIXTURE_CACHE    the cache folder
#   VIGIL_FIXTURE_REBUILD  1: build the fixtures again even if cached; root: the VM root too
#   VIGIL_FIXTURE_TIMEOUT  seconds the VM may take before it is killed (default 900; it needs
#                          about 6 minutes)
#   VIGIL_FIXTURE_VERIFY   1: check the copies in OUTDIR against MANIFEST's sha256 (about 10 s)
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: tests/vm/mkfixtures.sh OUTDIR}
cache=${VIGIL_FIXTURE_CACHE:-/var/cache/vigil-test-fixtures}
rebuild=${VIGIL_FIXTURE_REBUILD:-}
timeout=${VIGIL_FIXTURE_TIMEOUT:-900}
PASSPHRASE=vigil-test-passphrase
PASSFILE=luks.pass

# name  size  layout (for MANIFEST; fixture-init.sh makes it). Each name is also the serial of
# the image's virtio disk in the VM (at most 20 characters).
IMAGES=(
	"luks1-ext4        64MiB  luks1>ext4"
	"luks2-ext4        64MiB  luks2>ext4"
	"luks2-pbkdf2-ext4 64MiB  luks2>ext4"
	"lvm-linear        384MiB dos:p1>lvm-pv>vg:vgtest{root:linear>ext4,data:linear>xfs}"
	"lvm-striped       336MiB gpt:p1+p2>lvm-pv*2>vg:vgstripe{data:striped(2x64k)>xfs}"
	"rhel              448MiB gpt:p1=biosboot,p2=ext4(/boot),p3>luks2>lvm-pv>vg:rhel{swap>swap,root>xfs}"
)

say() { echo "mkfixtures: $*"; }
die() { echo "mkfixtures: $*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 )); }

for t in qemu-system-x86_64 mmdebstrap debugfs mkfs.ext4 cryptsetup sfdisk sha256sum flock; do
	command -v "$t" >/dev/null || die "$t is missing: run make deps"
done

# Everything in tests/vm but the README decides what the images hold.
key=$(cd "$here" && find . -maxdepth 1 -type f ! -name README -printf '%P\n' | sort |
	xargs sha256sum | sha256sum | cut -c1-64)
rootkey=$(sha256sum "$here/mkroot.sh" | cut -c1-64)
fix=$cache/$key
root=$cache/root-$rootkey

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time; a second caller then finds the first one's result
# Under the lock, what a killed build left is stale; so is what no build used for 30 days.
rm -rf "$cache"/.build.* "$cache"/.mkroot.*
find "$cache" -mindepth 1 -maxdepth 1 -type d -mtime +30 ! -path "$fix" ! -path "$root" \
	-exec rm -rf {} +

# ---- the VM's root ----------------------------------------------------------------------------
if [ "$rebuild" = root ]; then rm -rf "$root"; fi
if [ ! -e "$root/root.ext4" ]; then
	rm -rf "$root"
	say "making the VM root with mmdebstrap (a few minutes) in $root"
	t=$(date +%s)
	"$here/mkroot.sh" "$root"
	say "VM root made in $(elapsed "$t")s"
fi

# ---- the fixtures ----------------------------------------------------------------------------
if [ -n "$rebuild" ]; then rm -rf "$fix"; fi
if [ ! -e "$fix/MANIFEST" ]; then
	rm -rf "$fix"
	work=$(mktemp -d "$cache/.build.XXXXXX")
	qpid=
	cleanup() { if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; fi; rm -rf "$work"; }
	trap cleanup EXIT
	mkdir "$work/out"
	printf '%s' "$PASSPHRASE" >"$work/out/$PASSFILE"

	# The root is copied (sparse, about a second) so the cached one is never written; the init
	# script and the passphrase go in with debugfs, which needs no mount.
	cp --sparse=always "$root/root.ext4" "$work/root.ext4"
	debugfs -w "$work/root.ext4" -f - >/dev/null 2>"$work/debugfs.log" <<-EOF
		write "$here/fixture-init.sh" fixture-init.sh
		sif fixture-init.sh mode 0100755
		write "$work/out/$PASSFILE" fixture.pass
	EOF
	debugfs -R 'stat /fixture-init.sh' "$work/root.ext4" 2>/dev/null | grep -q 'Mode:  0755' ||
		die "could not put fixture-init.sh into the VM root: $(cat "$work/debugfs.log")"

	disks=()
	for entry in "${IMAGES[@]}"; do
		read -r name size _ <<<"$entry"
		truncate -s "${size%iB}" "$work/out/$name.raw"
		disks+=(-drive "file=$work/out/$name.raw,format=raw,if=none,id=$name,cache=unsafe,discard=unmap,detect-zeroes=unmap"
			-device "virtio-blk-pci,drive=$name,serial=$name")
	done
	# No KVM (it stalls in this sandbox): TCG, no network. Four vCPUs, because cryptsetup gives
	# argon2id no more lanes than there are CPUs and the images are to have the usual four;
	# 3 GiB: argon2id at 1 GiB with room to spare. The root disk is the first virtio device,
	# hence /dev/vda.
	# shellcheck disable=SC2054 # the commas are qemu's
	qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 4 -m 3072 -nic none -display none
		-monitor none -no-reboot -serial "file:$work/console.log"
		-kernel "$root/vmlinuz" -initrd "$root/initrd.img"
		-append "root=/dev/vda rw console=ttyS0 init=/fixture-init.sh panic=-1 quiet"
		-drive "file=$work/root.ext4,format=raw,if=none,id=root,cache=unsafe"
		-device virtio-blk-pci,drive=root,serial=root
		"${disks[@]}")
	say "booting the fixture VM (a few minutes; timeout ${timeout}s): ${qemu[*]}"
	t=$(date +%s)
	timeout "$timeout" "${qemu[@]}" </dev/null >"$work/qemu.log" 2>&1 &
	qpid=$!
	seen=0
	console() { tr -d '\r' 2>/dev/null <"$work/console.log"; } # the serial line ends lines in \r\n
	progress() { # the VM's own lines, as they come
		local lines
		lines=$(console | grep -a '^VIGIL-FIXTURE ' || true)
		if [ -n "$lines" ]; then
			tail -n +$((seen + 1)) <<<"$lines" | sed "s/^/mkfixtures: [$(elapsed "$t")s] /"
			seen=$(wc -l <<<"$lines")
		fi
	}
	while kill -0 $qpid 2>/dev/null; do progress; sleep 2; done
	rc=0; wait $qpid || rc=$?
	qpid=
	progress
	console >"$cache/console.log" || true
	ok=1
	grep -aq '^VIGIL-FIXTURE DONE' "$cache/console.log" || ok=
	for entry in "${IMAGES[@]}"; do
		read -r name _ <<<"$entry"
		grep -aqx "VIGIL-FIXTURE OK $name" "$cache/console.log" || ok=
	done
	if [ -z "$ok" ]; then
		[ "$rc" = 124 ] && say "the VM did not finish in ${timeout}s"
		echo "--- qemu (exit $rc):" >&2; tail -n 20 "$work/qemu.log" >&2
		echo "--- last lines of the VM console (all of it: $cache/console.log):" >&2
		tail -n 40 "$cache/console.log" >&2
		die "the fixture VM failed"
	fi
	say "VM done in $(elapsed "$t")s"
	# Holes for what the VM wrote as zeros (qemu leaves them as allocated, unwritten extents).
	for f in "$work"/out/*.raw; do cp --sparse=always "$f" "$f.sparse" && mv "$f.sparse" "$f"; done

	# MANIFEST, from the images themselves, read as files (nothing is mounted or mapped)
	kdf() { # kdf FILE: the KDF of LUKS key slot 0, from the header
		cryptsetup luksDump "$1" | awk '
			/^Version:/ { v = $2 }
			/^Hash spec:/ { h = $3 }
			/^Key Slot 0: ENABLED/ { s = 1 }
			s && /Iterations:/ && v == 1 { print "pbkdf2-" h ":iter=" $2; exit }
			/^Keyslots:/ { k = 1 }
			k && /PBKDF:/ { p = $2 }
			k && /Hash:/ { h = $2 }
			k && /Time cost:/ { tc = $3 }
			k && /Memory:/ { m = $2 }
			k && /Threads:/ { print p ":t=" tc ",m=" m ",p=" $2; exit }
			k && /Iterations:/ && p == "pbkdf2" { print "pbkdf2-" h ":iter=" $2; exit }'
	}
	part() { # part FILE N: partition N of FILE copied out (only its first 16 MiB: a LUKS2 header)
		local start
		start=$(sfdisk -d "$1" | awk -v n="$1$2" '$1 == n { sub(/,/, "", $4); print $4 }')
		[ -n "$start" ] || die "no partition $2 in $1"
		dd if="$1" of="$work/part" bs=512 skip="$start" count=32768 status=none
		echo "$work/part"
	}
	{
		echo "# name size-bytes sha256 layout passphrase-file kdf(luks key slot 0)"
		for entry in "${IMAGES[@]}"; do
			read -r name _ layout <<<"$entry"
			f=$work/out/$name.raw
			case $name in
			luks*) k=$(kdf "$f") pf=$PASSFILE ;;
			rhel) k=$(kdf "$(part "$f" 3)") pf=$PASSFILE ;;
			*) k=- pf=- ;;
			esac
			[ -n "$k" ] || die "no LUKS key slot read in $name"
			echo "$name.raw $(stat -c %s "$f") $(sha256sum <"$f" | cut -c1-64) $layout $pf $k"
		done
	} >"$work/out/MANIFEST.new"
	mv "$work/out/MANIFEST.new" "$work/out/MANIFEST"
	cp "$cache/console.log" "$work/out/build.log"
	mv "$work/out" "$fix"
	rm -rf "$work"
	trap - EXIT
	say "built and cached in $fix"
else
	say "cached: $fix"
fi
touch "$fix" "$root" # last used; see the README on pruning

# ---- into OUTDIR (copies: a test may write to its image without touching the cache) -----------
mkdir -p "$out"
for f in "$fix"/*.raw "$fix/MANIFEST" "$fix/$PASSFILE"; do
	rm -f "$out/${f##*/}"
	cp --sparse=always --reflink=auto "$f" "$out/"
done
grep -v '^#' "$out/MANIFEST" | while read -r name size _; do
	[ "$(stat -c %s "$out/$name")" = "$size" ] || die "$out/$name is not $size bytes as MANIFEST says"
done
if [ "${VIGIL_FIXTURE_VERIFY:-}" = 1 ]; then
	(cd "$out" && grep -v '^#' MANIFEST | awk '{ print $3 "  " $1 }' | sha256sum --quiet -c -) ||
		die "$out does not match its MANIFEST (VIGIL_FIXTURE_REBUILD=1 builds it again)"
fi
say "$(grep -vc '^#' "$out/MANIFEST") images in $out"
