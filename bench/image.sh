#!/usr/bin/env bash
# bench/image.sh — scanning disk images without mounting them (`vigil scan image`) against
# scanning the same files mounted (`vigil scan custom MOUNTPOINT`). The scan corpus of
# bench/scan.sh (bench/corpus.py) is put in four images, each scanned with the same rules and
# threads, to show what the file system and the container layers cost:
#
#   ext4         a bare ext4 file system (no partition table) made with mke2fs -d, read through
#                libtsk; it is also loop-mounted read-only for the folder scan, the reference
#   QCOW2        that ext4 image converted with `qemu-img convert -O qcow2` (not compressed):
#                the same file system read through libqcow
#   XFS on LVM   a bare LVM2 physical volume with one linear logical volume holding an XFS made
#                with mkfs.xfs -p protofile (bench/mkxfslvm.sh; no device-mapper needed): read
#                through libvslvm and libfsxfs
#   btrfs        a bare btrfs made with mkfs.btrfs --rootdir: read by btrfs-progs' `btrfs
#                restore` and then `btrfs check --check-data-csum`, sandboxed, served by vigil
#
#   bench/image.sh [VIGIL] [--small]     (defaults: build/vigil, the full corpus: ~20,000
#                                         files, ~1 GiB; --small: ~2,000 files, ~100 MB)
#
# The corpus is shared with bench/scan.sh (${TMPDIR:-/tmp}/vigil-bench-corpus-VARIANT-SEED);
# the images are kept beside it (vigil-bench-image-VARIANT-SEED.img, .qcow2, .xfs-lvm.img,
# .btrfs.img),
# each with a .key file (the corpus's content hash and the versions of the tools that made
# it), and made again only when that changed. Each case runs 3 times with the page cache warm
# (one untimed run of each first: the image files and the mounted files all cached), on 2
# cores (pinned where there are more), each run with a fresh copy of a state folder that has
# the rules compiled and with --no-cache; the table gives the median wall time, files, MB/s
# (bytes vigil scanned / wall time), images/s (1 / wall time), the peak RSS, the threats found,
# and the ratios to the ext4 image scan and to the folder scan (the target: the ext4 image
# within 1.5x of the folder). The three images hold the same files, so the files scanned and
# the findings must be the same in all four scans; the section says whether they are. Writes
# the table to stdout and to bench/RESULTS-image.md (one section per corpus variant; the other
# variant's section is kept). Needs root (mount -o ro,loop, losetup). Measures; never fails
# for slowness.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bench_args image.sh "$@"
PATH=$PATH:/usr/sbin:/sbin
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: image.sh needs root (mount -o ro,loop, losetup)" >&2; exit 2; }
for t in /usr/bin/time mke2fs jq qemu-img mkfs.xfs pvcreate losetup mkfs.btrfs; do
	command -v "$t" >/dev/null || { echo "bench: $t is needed (make deps)" >&2; exit 2; }
done
"$V" help scan 2>&1 | grep -q "scan image" || { echo "bench: $V has no 'scan image'" >&2; exit 2; }

# --- the corpus and its images -------------------------------------------------------------------
bench_corpus
cache=${TMPDIR:-/tmp}/vigil-bench-image-$variant-$SEED
img=$cache.img
qcow=$cache.qcow2
xl=$cache.xfs-lvm.img
bt=$cache.btrfs.img
bytes=$(jq .total_bytes "$manifest")
files=$(jq .file_count "$manifest")
# room for the data, a 4 KiB block per file's tail, the inode tables and the journal
mib=$(( (bytes + files * 4096) * 115 / 100 / 1048576 + 128 ))

# fresh FILE KEY: FILE is there and was made from this corpus by these tools
fresh() { [ -f "$1" ] && [ "$(cat "$1.key" 2>/dev/null)" = "$2" ]; }
# make_image FILE KEY VAR WHAT CMD...: CMD writes FILE.tmp, which then becomes FILE, with KEY
# beside it; VAR is set to how long that took (for the section: what the cache saves)
make_image() {
	local f=$1 k=$2 var=$3 t0
	echo "making the $4 image from $corpus"
	shift 4
	rm -f "$f" "$f.key" "$f.tmp"
	t0=$(date +%s.%N)
	"$@" >/dev/null
	printf -v "$var" '%s' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
	mv "$f.tmp" "$f"
	echo "$k" >"$f.key"
}
mk_img="an earlier run" mk_qcow="an earlier run" mk_xl="an earlier run" mk_bt="an earlier run"

key_img="$(jq -r .content_sha256 "$manifest") $(mke2fs -V 2>&1 | head -n 1)"
if ! fresh "$img" "$key_img"; then
	make_image "$img" "$key_img" mk_img "ext4 ($mib MiB)" env E2FSPROGS_FAKE_TIME=1700000000 \
		mke2fs -q -F -t ext4 -b 4096 -I 256 -L vigil-bench -U 5F1C0D1E-0000-4000-8000-00000000be01 \
		-E root_owner=0:0 -d "$corpus" "$img.tmp" "${mib}M"
fi

# made from the ext4 image, so made again whenever that was
key_qcow="$key_img $(qemu-img --version | head -n 1)"
if ! fresh "$qcow" "$key_qcow" || [ "$img" -nt "$qcow" ]; then
	make_image "$qcow" "$key_qcow" mk_qcow QCOW2 qemu-img convert -q -f raw -O qcow2 "$img" "$qcow.tmp"
fi

# the ext4 image's size and 64 MiB more for XFS's internal log (its default at these sizes);
# bench/mkxfslvm.sh is part of the key: a change to how the image is made makes it again
xmib=$((mib + 64))
key_xl="$(jq -r .content_sha256 "$manifest") $(mkfs.xfs -V) $(pvcreate --version 2>/dev/null |
	awk '{ $1 = $1; print; exit }') mkxfslvm.sh $(sha256sum <"$here/mkxfslvm.sh" | cut -c1-16)"
if ! fresh "$xl" "$key_xl"; then
	make_image "$xl" "$key_xl" mk_xl "XFS on LVM (at least $xmib MiB)" "$here/mkxfslvm.sh" "$corpus" "$xl.tmp" "$xmib"
fi

# btrfs: the same files by mkfs.btrfs --rootdir (DUP metadata: a fifth more room than ext4)
bmib=$((mib * 6 / 5))
key_bt="$(jq -r .content_sha256 "$manifest") $(mkfs.btrfs --version 2>&1 | head -n 1) $bmib"
if ! fresh "$bt" "$key_bt"; then
	make_image "$bt" "$key_bt" mk_bt "btrfs ($bmib MiB)" sh -c \
		'truncate -s "$2M" "$1" && mkfs.btrfs -q --rootdir "$3" "$1" 2>/dev/null' _ "$bt.tmp" "$bmib" "$corpus"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-imagebench.XXXXXX")
mnt=$work/mnt
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"
# a copy of the binary and of the image reader beside it: every run measures the same ones,
# even if build/ is rebuilt meanwhile
cp "$V" "$work/vigil"
[ -x "$(dirname "$V")/vigil-image" ] && cp "$(dirname "$V")/vigil-image" "$work/vigil-image"
[ -x "$(dirname "$V")/vigil-btrfs.so" ] && cp "$(dirname "$V")/vigil-btrfs.so" "$work/vigil-btrfs.so"
V=$work/vigil
export VIGIL_MANAGED_CONFIG=$work/no-managed.json
unset VIGIL_CONFIG VIGIL_STATE_DIR
pin=()
[ "$(nproc)" -gt "$CORES" ] && command -v taskset >/dev/null && pin=(taskset -c "0-$((CORES - 1))")
mkdir -p "$mnt" empty
mount -o ro,loop "$img" "$mnt"
size_mib() { echo $(( $(stat -c %s "$1") / 1048576 )); }
echo "images: ext4 $img ($(size_mib "$img") MiB), mounted read-only on $mnt;" \
	"QCOW2 $qcow ($(size_mib "$qcow") MiB); XFS on LVM $xl ($(size_mib "$xl") MiB);" \
	"btrfs $bt ($(size_mib "$bt") MiB)"

# the state folder template: rules compiled, nothing scanned
VIGIL_STATE_DIR=$work/tmpl "$V" -q scan custom "$work/empty" >/dev/null
fresh_state() {
	rm -rf "$work/state"
	cp -a "$work/tmpl" "$work/state"
}

# measure NAME OUTPREFIX CMD...: one untimed warm-up run, then REPS timed runs, each with a
# fresh state folder; prints "median_wall peak_rss_kib status" and keeps the last JSON output
measure() {
	local name=$1 outp=$2 i walls="" rss=0 status=ok w m x
	shift 2
	fresh_state
	VIGIL_STATE_DIR=$work/state "${pin[@]}" "$@" >/dev/null 2>&1 || true
	for i in $(seq "$REPS"); do
		fresh_state
		/usr/bin/time -f "%e %M %x" -o t.out env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$@" \
			>"$outp.json" 2>"$outp.err" || true
		read -r w m x < <(tail -n 1 t.out)
		walls="$walls $w"
		[ "$m" -gt "$rss" ] && rss=$m
		case $x in 0 | 1) ;; *) status="exit $x: $(tail -n 1 "$outp.err" | cut -c1-120)" ;; esac
	done
	med=$(printf '%s\n' $walls | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "$med $rss $status"
	echo "  $name: runs$walls s, median $med s, peak RSS $((rss / 1024)) MiB, $status" >&2
}

cat "$img" "$qcow" "$xl" "$bt" >/dev/null
find "$mnt" -type f -print0 | xargs -0 cat >/dev/null
opts=(--threads "$CORES" --no-cache)
echo "measuring (page cache warm, $REPS runs each, median)"
read -r w_img r_img s_img < <(measure "vigil scan image (ext4)" img "$V" --json scan image "$img" "${opts[@]}")
# the same image parsed inside vigil (VIGIL_IMAGE=none): what the sandboxed reader costs
read -r w_in r_in s_in < <(measure "vigil scan image (ext4, inside vigil)" in env VIGIL_IMAGE=none "$V" --json scan image "$img" "${opts[@]}")
read -r w_qcow r_qcow s_qcow < <(measure "vigil scan image (QCOW2)" qcow "$V" --json scan image "$qcow" "${opts[@]}")
read -r w_xl r_xl s_xl < <(measure "vigil scan image (XFS on LVM)" xl "$V" --json scan image "$xl" "${opts[@]}")
read -r w_bt r_bt s_bt < <(measure "vigil scan image (btrfs)" bt "$V" --json scan image "$bt" "${opts[@]}")
read -r w_dir r_dir s_dir < <(measure "vigil scan custom MOUNTPOINT" dir "$V" --json scan custom "$mnt" "${opts[@]}")
umount "$mnt"

# The same files and findings every way: files and bytes scanned, and the (path inside the
# file system, member chain, rule) sets, each image scan against the ext4 one and that against
# the folder; a difference is listed on stderr (up to 5 each way) to be looked into. Then what
# the scans reported as errors or problems (files not read), which the table does not show.
{ read -r cmpsets && read -r problems; } < <("$PY" - "$mnt" img.json in.json qcow.json xl.json bt.json dir.json <<'PYEOF'
import json, sys
mnt = sys.argv[1]
names = {"img": "ext4 image", "in": "ext4 image inside vigil", "qcow": "QCOW2", "xl": "XFS on LVM",
         "bt": "btrfs", "dir": "folder"}
scans = {}
for f in sys.argv[2:]:
    try:
        scans[f[:-5]] = json.load(open(f))
    except ValueError:
        pass
def inside(t):
    if "image" in t:
        return t["image"]["path"]
    return t["path"][len(mnt):] if t["path"].startswith(mnt) else t["path"]
def findings(s):
    return {(inside(t), tuple(t["member"]), t["name"]) for t in s.get("threats", [])}
out = []
for a, b in (("img", "dir"), ("in", "img"), ("qcow", "img"), ("xl", "img"), ("bt", "img")):
    pair = "%s / %s" % (names[a], names[b])
    if a not in scans or b not in scans:
        out.append("%s: not compared (a scan gave no JSON)" % pair)
        continue
    fa, fb = findings(scans[a]), findings(scans[b])
    na, nb = [(s.get("files_scanned"), s.get("bytes_scanned")) for s in (scans[a], scans[b])]
    same = ["same findings" if fa == fb else
            "DIFFERENT findings: %d only in %s, %d only in %s" % (len(fa - fb), names[a], len(fb - fa), names[b])]
    same.append("same files and bytes scanned" if na == nb else
                "DIFFERENT files, bytes scanned: %s, %s and %s, %s" % (na + nb))
    out.append("%s: %s" % (pair, ", ".join(same)))
    for x, y, n in ((fa, fb, names[a]), (fb, fa, names[b])):
        for f in sorted(x - y)[:5]:
            print("  only in the %s scan: %s" % (n, f), file=sys.stderr)
print("; ".join(out))
probs = []
for k, s in scans.items():
    p = len(s.get("problems", [])) + (1 if s.get("problems_truncated") else 0)
    if s.get("errors") or p or s.get("skipped"):
        probs.append("%s: %s errors, %s skipped, %d%s problems" % (names[k], s.get("errors"), s.get("skipped"),
                                                                   p, "+" if s.get("problems_truncated") else ""))
        for q in s.get("problems", [])[:5]:
            print("  %s problem: %s" % (names[k], json.dumps(q)), file=sys.stderr)
print("; ".join(probs) or "none")
PYEOF
)

# --- the table ---------------------------------------------------------------------------------
row() { # NAME WALL RSS STATUS JSON
	local f b t
	f=$(jq .files_scanned "$5" 2>/dev/null || echo -)
	b=$(jq .bytes_scanned "$5" 2>/dev/null || echo 0)
	t=$(jq .threats_found "$5" 2>/dev/null || echo -)
	awk -v n="$1" -v w="$2" -v r="$3" -v s="$4" -v f="$f" -v b="$b" -v t="$t" -v bi="$w_img" -v bd="$w_dir" 'BEGIN {
		st = (s == "ok") ? "" : " (" s ")"
		printf "| %s%s | %d | %.2f s | %s | %.0f | %.2f | %d MiB | %s | %.2fx | %.2fx |\n", n, st, '"$REPS"', w, f,
			(w > 0 ? b / w / 1e6 : 0), (w > 0 ? 1 / w : 0), r / 1024, t, (bi > 0 ? w / bi : 0), (bd > 0 ? w / bd : 0) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
r_folder=$(ratio "$w_img" "$w_dir")
verdict=$(awk -v r="$r_folder" 'BEGIN { print (r <= 1.5 ? "within" : "NOT within") }')
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
section=$(
	echo "<!-- image.sh:$variant -->"
	echo "## $variant corpus"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores ($cpu), $mem, kernel $(uname -r); runs" \
		"pinned to $CORES cores, $REPS runs each (median) after one warm-up run, page cache warm;" \
		"load average $load at the end. $("$V" --version 2>/dev/null | head -n 1), embedded default rules."
	echo
	echo "Corpus: \`bench/corpus.py --seed $SEED$([ "$variant" = small ] && echo ' --small')\`," \
		"$files files, $((bytes / 1048576)) MiB. Images (made in: the time to build each, or an earlier run when cached):"
	echo
	echo "- ext4: bare (no partition table, 4 KiB blocks), made by \`mke2fs -d\`, $(size_mib "$img") MiB" \
		"(made in $mk_img); loop-mounted with \`-o ro,loop\` for the folder scan."
	echo "- QCOW2: that ext4 image through \`qemu-img convert -O qcow2\` (not compressed)," \
		"$(size_mib "$qcow") MiB (made in $mk_qcow)."
	echo "- XFS on LVM: a bare LVM2 physical volume with one linear logical volume holding an XFS" \
		"made by \`mkfs.xfs -p protofile\` (\`bench/mkxfslvm.sh\`), $(size_mib "$xl") MiB (made in $mk_xl)."
	echo "- btrfs: bare, made by \`mkfs.btrfs --rootdir\` (defaults: DUP metadata, crc32c), $(size_mib "$bt") MiB" \
		"(made in $mk_bt); read by \`btrfs restore\`, then \`btrfs check --check-data-csum\`, both sandboxed and" \
		"served the volume by vigil."
	echo
	echo "All: \`--threads $CORES --no-cache\`, a fresh copy of a state folder with the rules compiled for each run."
	echo
	echo "| case | runs | wall (median) | files | MB/s | images/s | peak RSS | threats | vs ext4 image | vs folder |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	row "\`vigil scan image X.img\`: ext4 (libtsk, in the sandboxed reader)" "$w_img" "$r_img" "$s_img" img.json
	row "\`VIGIL_IMAGE=none vigil scan image X.img\`: ext4, parsed inside vigil" "$w_in" "$r_in" "$s_in" in.json
	row "\`vigil scan image X.qcow2\`: QCOW2, ext4 (libqcow, libtsk)" "$w_qcow" "$r_qcow" "$s_qcow" qcow.json
	row "\`vigil scan image X.img\`: LVM2, XFS (libvslvm, libfsxfs)" "$w_xl" "$r_xl" "$s_xl" xl.json
	row "\`vigil scan image X.img\`: btrfs (btrfs restore and check)" "$w_bt" "$r_bt" "$s_bt" bt.json
	row "\`vigil scan custom MOUNTPOINT\`: ext4 mounted" "$w_dir" "$r_dir" "$s_dir" dir.json
	echo
	echo "ext4 image / folder: **${r_folder}x** ($verdict the 1.5x target);" \
		"sandboxed reader / inside vigil: **$(ratio "$w_img" "$w_in")x**;" \
		"QCOW2 / ext4 image: **$(ratio "$w_qcow" "$w_img")x**; XFS on LVM / ext4 image: **$(ratio "$w_xl" "$w_img")x**;" \
		"btrfs / ext4 image: **$(ratio "$w_bt" "$w_img")x**."
	echo "Files, bytes and findings (path inside the file system, archive member chain, rule): $cmpsets." \
		"Errors and problems reported: $problems."
	echo "<!-- /image.sh:$variant -->"
)
echo
echo "$section"
results=$here/RESULTS-image.md
printf '%s\n' "$section" >section.md
cat >top.md <<'EOF'
# Image scan benchmark

`bench/image.sh` (`bench/image.sh build/vigil --small` for the small corpus): the same files scanned in four disk images with `vigil scan image` (nothing mounted) — a bare ext4 (libtsk), that ext4 converted to QCOW2 (libqcow), an XFS in an LVM2 logical volume (libvslvm, libfsxfs) and a btrfs (btrfs-progs' restore and check, sandboxed) — and, for reference, the ext4 image mounted read-only and scanned with `vigil scan custom`. MB/s counts the bytes vigil scanned (files, not archive members unpacked); images/s is 1 / wall time. The target is the ext4 image scan within 1.5x of the folder scan's wall time; the QCOW2, XFS-on-LVM and btrfs rows show what the container and the file system cost against the ext4 image.

EOF
"$PY" "$here/results_section.py" "$results" image.sh "$variant" section.md top.md
echo "written to bench/RESULTS-image.md"
