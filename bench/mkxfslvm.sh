#!/usr/bin/env bash
# bench/mkxfslvm.sh DIR OUT XFS_MIB — for bench/image.sh: OUT becomes a bare LVM2 physical
# volume (no partition table; volume group vgbench, 4 MiB extents) with one linear logical
# volume, "data", of XFS_MIB (more if that was too small; rounded up to whole extents) holding
# an XFS made by mkfs.xfs from DIR's folders and regular files. Made on the host without
# device-mapper, the way tests/e2e/helpers/mkvolumes.sh makes its LVM images (copied, not
# called, so that tests and bench can change independently):
#
#   XFS   mkfs.xfs -p protofile into a file of its own: xfsprogs 6.1 fills a file system from
#         a protofile, not a folder, and 300 MiB is its smallest (XFS_MIB is raised to that)
#   LVM2  pvcreate and vgcreate on a loop device; the logical volume is added with
#         vgcfgrestore from the metadata vgcfgbackup wrote, with a logical_volumes section
#         added (lvcreate needs device-mapper, vgcfgrestore does not); the XFS is then copied
#         to the logical volume's offset
#
# Needs root (losetup). Exits 2 when a tool is missing, 3 when no loop device can be had.
set -eu -o pipefail
[ $# -eq 3 ] || { echo "usage: bench/mkxfslvm.sh DIR OUT XFS_MIB" >&2; exit 2; }
src=$(cd "$1" && pwd -P)
out=$2
xfs_mib=$3
PATH=$PATH:/usr/sbin:/sbin
for t in pvcreate vgcreate vgcfgbackup vgcfgrestore losetup mkfs.xfs python3; do
	command -v "$t" >/dev/null || { echo "mkxfslvm.sh: $t is missing (make deps)" >&2; exit 2; }
done
[ "$xfs_mib" -ge 300 ] || xfs_mib=300

w=$(mktemp -d "$(dirname "$out")/vigil-mkxfslvm.XXXXXX")
loop=
cleanup() {
	[ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export LC_ALL=C TZ=UTC

# The protofile (mkfs.xfs(8)): a boot line, a blocks/inodes line, the root folder, then per
# entry "name mode uid gid [source]", nested folders indented and closed by "$". Every regular
# file is listed with its source path, so the XFS holds the same bytes as DIR; modes are kept
# (the ELF copies are executable), owners are root as in the ext4 image (mke2fs -E root_owner).
# The format splits on white space: a name with any cannot be listed, and is refused rather
# than left out silently.
python3 - "$src" >"$w/proto.txt" <<'EOF'
import os, stat, sys
def walk(d, depth):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        st = os.lstat(p)
        if any(c.isspace() for c in name) or name == "$":
            sys.exit("mkxfslvm.sh: %s: a name a protofile cannot hold" % p)
        perm = "%03o" % stat.S_IMODE(st.st_mode & 0o777)
        if stat.S_ISDIR(st.st_mode):
            print(" " * depth + name + " d--" + perm + " 0 0")
            walk(p, depth + 1)
            print(" " * depth + "$")
        elif stat.S_ISREG(st.st_mode):
            print(" " * depth + name + " ---" + perm + " 0 0 " + p)
        else:
            sys.exit("mkxfslvm.sh: %s: not a folder or a regular file" % p)
print("/dev/null\n0 0\nd--755 0 0")
walk(sys.argv[1], 1)
print("$")
EOF
# mkfs.xfs can run out of room in one allocation group while the others have plenty (a file
# goes to its folder's group, and the 64 MiB internal log takes most of one of the four groups
# of a small XFS: the small corpus, 102 MiB, does not fit in 300 MiB): on "No space left" the
# file system is made again a quarter larger, a few times at most.
for try in 1 2 3 4; do
	rm -f "$w/data.xfs"
	truncate -s "${xfs_mib}M" "$w/data.xfs"
	if mkfs.xfs -q -f -L vigil-bench -m uuid=5f1c0d1e-0000-4000-8000-00000000be02 \
		-p "$w/proto.txt" "$w/data.xfs" 2>"$w/mkfs.err"; then
		break
	fi
	if ! grep -q "No space left" "$w/mkfs.err" || [ "$try" -eq 4 ]; then
		cat "$w/mkfs.err" >&2
		exit 1
	fi
	echo "mkxfslvm.sh: $xfs_mib MiB of XFS was too small; trying again $((xfs_mib / 4)) MiB larger" >&2
	xfs_mib=$((xfs_mib + xfs_mib / 4))
done
lv_mib=$(( (xfs_mib + 3) / 4 * 4 ))

# The physical volume: its label and metadata in the first MiB, then the one logical volume
# from extent 0 (a few spare MiB: the last partial extent is not usable)
truncate -s "$((lv_mib + 8))M" "$w/pv.img"
loop=$(losetup -f --show "$w/pv.img") || exit 3
# LVM's own configuration, cache, lock and backup folders, away from the host's; it sees only
# this loop device (not the volumes of a test running meanwhile) and keeps no hints in
# /run/lvm; no udev and no device-mapper: nothing is activated. What the LVM tools say goes
# to lvm.err, shown only if one fails (without device-mapper they warn on every run).
export LVM_SYSTEM_DIR="$w/lvm" LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p "$w/lvm/backup" "$w/lvm/archive" "$w/lvm/cache"
cat >"$w/lvm/lvm.conf" <<CONF
devices { scan = [ "/dev" ] filter = [ "a|^$loop\$|", "r|.*|" ] hints = "none"
	obtain_device_list_from_udev = 0 use_devicesfile = 0 }
global { use_lvmlockd = 0 locking_dir = "$w/lvm/lock" }
backup { backup = 0 archive = 0 }
activation { udev_sync = 0 udev_rules = 0 }
CONF
quiet_lvm() {
	"$@" 2>>"$w/lvm.err" || { echo "mkxfslvm.sh: $1 failed:" >&2; cat "$w/lvm.err" >&2; exit 1; }
}
quiet_lvm pvcreate -q -ff -y --uuid "aaaaaa-bbbb-cccc-dddd-eeee-ffff-bench0" --norestorefile "$loop" >/dev/null
quiet_lvm vgcreate -q -s 4M vgbench "$loop" >/dev/null
pe_start=$(quiet_lvm pvs --noheadings --units b --nosuffix -o pe_start "$loop" | tr -d ' ')
[ $((pe_start % 1048576)) -eq 0 ] || { echo "mkxfslvm.sh: data at $pe_start, not a whole MiB" >&2; exit 1; }
quiet_lvm vgcfgbackup -q -f "$w/meta.txt" vgbench >/dev/null
# the logical volume goes inside the volume group's section, after its physical volumes
python3 - "$w/meta.txt" "$((lv_mib / 4))" <<'EOF'
import sys
meta = open(sys.argv[1]).read().rstrip()
assert meta.endswith("}")
lv = """logical_volumes {
data {
id = "LVLVLV-0000-0000-0000-0000-0000-bench1"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1
segment1 {
start_extent = 0
extent_count = %s
type = "striped"
stripe_count = 1
stripes = ["pv0", 0]
}
}
}
""" % sys.argv[2]
open(sys.argv[1], "w").write(meta[:-1] + lv + "}\n")
EOF
# it warns that it cannot check for active volumes (no device-mapper), and writes
quiet_lvm vgcfgrestore -q -f "$w/meta.txt" vgbench >/dev/null
# exported: not taken for one of the host's own volume groups by a later scan of /dev
vgexport -q vgbench >/dev/null 2>&1 || true
losetup -d "$loop"
loop=
dd if="$w/data.xfs" of="$w/pv.img" bs=1M seek="$((pe_start / 1048576))" conv=notrunc,sparse status=none
mv "$w/pv.img" "$out"
