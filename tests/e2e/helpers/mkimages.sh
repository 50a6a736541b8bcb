#!/usr/bin/env bash
# tests/e2e/helpers/mkimages.sh OUTDIR — disk-image fixtures for `vigil scan image`
# (t6100-scan-image.sh), made without mounting anything: sfdisk writes the partition tables
# into plain files, mke2fs -d fills an ext4 from a folder, mkfs.vfat + mtools fill a FAT,
# mkntfs + ntfscp fill an NTFS (ntfscp -N writes an alternate data stream), and each file
# system is made as a file of its own and copied into its disk with dd conv=notrunc.
# Needs the Debian packages e2fsprogs, fdisk, dosfstools, mtools, ntfs-3g, ewf-tools, zip,
# openssl, coreutils (make deps).
#
#   gpt.img      64 MiB GPT disk; p1 (16 MiB at 1 MiB) ext4: /docs/readme.txt (clean),
#                /home/eve/eicar.com (EICAR), /home/eve/bundle.zip (member inner/eicar.txt
#                = EICAR); p2 (46 MiB at 17 MiB) FAT16: /DROP/EICAR.COM (EICAR),
#                /NOTES.TXT (clean), /BIG.BIN (12 MiB, clean, it runs past the cut of
#                trunc.img), and /GONE.COM (EICAR) written last then deleted with mdel:
#                its entry is marked deleted (first byte 0xE5: TSK names it _ONE.COM, an
#                8.3 name loses its first letter), its cluster still holds the bytes
#   gpt.E01      ewfacquire of gpt.img (EnCase 6, one segment)
#   ntfs.img     16 MiB NTFS, no partition table: /clean.txt, and /readme.txt whose main
#                stream is clean and whose stream readme.txt:hidden is EICAR
#   plain.img    8 MiB ext4, no partition table: /eicar.com
#   corrupt.img  16 MiB GPT disk; p1 is 4 MiB of pseudo-random bytes (no file system),
#                p2 FAT: /EICAR.COM
#   trunc.img    the first 40% of gpt.img, not a whole number of sectors: p1 whole, p2
#                cut 8.6 MiB in (its folders, EICAR.COM and NOTES.TXT are readable,
#                BIG.BIN is not; both GPT entries still start inside the image, so the
#                Sleuth Kit still reads the table)
#
# Also written: OUTDIR/offsets, one line per partition, "IMAGE PARTITION START_BYTES
# LENGTH_BYTES" (partition 0 = a file system without partition table); OUTDIR/inodes,
# "IMAGE PARTITION PATH INODE" as the Sleuth Kit numbers them (ext4: read back with debugfs;
# NTFS: the MFT entry, from ntfsls; FAT: 3 + the directory entry's slot, found in the bytes;
# the deleted FAT entry under TSK's name /_ONE.COM); OUTDIR/eicar.sha256 (the SHA-256 of the
# EICAR bytes).
#
# Deterministic: fixed UUIDs, volume ids, file times (ctimes set with debugfs) and a fixed
# clock for mke2fs and mkntfs; the images are byte-identical from run to run on the same tool
# versions, except gpt.E01 (ewfacquire records the acquisition date) and ntfs.img (ntfscp
# stamps the files it writes with the current time): layout, offsets and inodes never vary.
# Takes about a second. The EICAR string is assembled here at run time from two halves, as in
# tests/e2e/lib.sh: it is never whole in this repository. Exits 2 when a tool is missing.
set -eu
out=${1:?usage: mkimages.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
PATH=$PATH:/usr/sbin:/sbin
for t in sfdisk mke2fs debugfs mkfs.vfat mcopy mdel mmd mkntfs ntfscp ntfsls ewfacquire zip openssl od; do
	command -v "$t" >/dev/null || { echo "mkimages.sh: $t is missing (make deps)" >&2; exit 2; }
done

w=$(mktemp -d "${TMPDIR:-/tmp}/vigil-mkimages.XXXXXX")
trap 'rm -rf "$w"' EXIT
cd "$w"
umask 022
export LC_ALL=C TZ=UTC
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=1 # short 8.3 names only, no long-name entries
export E2FSPROGS_FAKE_TIME=1700000000       # mke2fs: superblock and inode times
export SOURCE_DATE_EPOCH=1700000000
STAMP='2023-11-14 22:13:20'
MiB=1048576
SECTOR=512

eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}
# stamp DIR: every file and folder under DIR gets the same mtime and atime
stamp() { find "$1" -exec touch -h -d "$STAMP" {} +; }
# fixctime EXT4FILE SRCDIR: mke2fs -d copies each file's ctime, which touch cannot set: set
# the ctime of everything copied to the fixed time (debugfs recomputes the checksums)
fixctime() {
	(cd "$2" && find . -mindepth 1 | sed 's|^\.||') | while read -r f; do
		echo "set_inode_field $f ctime 20231114221320"
	done >ctime.cmd
	debugfs -w -f ctime.cmd "$1" >/dev/null 2>&1
}
# place PART_FILE DISK START_SECTOR: the file system image written into the disk in place
place() { dd if="$1" of="$2" bs=$SECTOR seek="$3" conv=notrunc status=none; }
# gpt DISK MIB: a GPT disk of MIB MiB with the partitions read from stdin (sfdisk script
# lines after the header); a fixed disk GUID so the table is the same every time
gpt() {
	rm -f "$1"
	truncate -s "$(($2 * MiB))" "$1"
	{
		echo "label: gpt"
		echo "label-id: 5F1C0D1E-0000-4000-8000-000000000001"
		echo "unit: sectors"
		echo "sector-size: $SECTOR"
		cat
	} | sfdisk -q --no-reread --no-tell-kernel "$1" >/dev/null
}
LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4
BASIC=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
# fat FILE KIB LABEL ID: an empty FAT16 file system
fat() {
	rm -f "$1"
	mkfs.vfat -F 16 -S "$SECTOR" -n "$3" -i "$4" --invariant -C "$1" "$2" >/dev/null
}
# mc FSFILE SRC DEST: copy a file into a FAT image, keeping its mtime
mc() { mcopy -o -m -i "$1" "$2" "::$3"; }

# --- the contents ------------------------------------------------------------------------------
eicar e.com
mkdir -p ext/docs ext/home/eve zipsrc/inner
echo "Read me: nothing to see in this file system." >ext/docs/readme.txt
eicar ext/home/eve/eicar.com
eicar zipsrc/inner/eicar.txt
stamp zipsrc
(cd zipsrc && zip -q -X -D ../ext/home/eve/bundle.zip inner/eicar.txt)
chmod 0644 ext/docs/readme.txt ext/home/eve/eicar.com ext/home/eve/bundle.zip
chmod 0755 ext ext/docs ext/home ext/home/eve
stamp ext
echo "Shopping: bread, butter, coffee." >notes.txt
# 12 MiB of text (compresses well in the E01), not a multiple of the cluster size
yes "a clean line of a big file, nothing to find here" | head -c 12582999 >big.bin
stamp e.com
stamp notes.txt
stamp big.bin

# --- gpt.img: p1 ext4 (16 MiB at 1 MiB), p2 FAT16 (46 MiB at 17 MiB) ----------------------------
P1=2048 P1N=32768 P2=34816 P2N=94208
mke2fs -q -F -t ext4 -b 4096 -I 256 -L vigil-p1 -U 5F1C0D1E-0000-4000-8000-0000000000e1 \
	-E hash_seed=5F1C0D1E-0000-4000-8000-0000000000e2,root_owner=0:0 -d ext \
	p1.img "$((P1N * SECTOR / 1024))k" >/dev/null
fixctime p1.img ext
fat p2.img "$((P2N * SECTOR / 1024))" VIGILFAT 5f1c0d1e
mmd -i p2.img ::/DROP
mc p2.img e.com /DROP/EICAR.COM
mc p2.img notes.txt /NOTES.TXT
mc p2.img big.bin /BIG.BIN
mc p2.img e.com /GONE.COM
mdel -i p2.img ::/GONE.COM # the last write: nothing reuses its cluster
gpt gpt.img 64 <<EOF
start=$P1, size=$P1N, type=$LINUX, uuid=5F1C0D1E-0000-4000-8000-0000000000a1, name="linux"
start=$P2, size=$P2N, type=$BASIC, uuid=5F1C0D1E-0000-4000-8000-0000000000a2, name="data"
EOF
place p1.img gpt.img $P1
place p2.img gpt.img $P2
{
	echo "gpt.img 1 $((P1 * SECTOR)) $((P1N * SECTOR))"
	echo "gpt.img 2 $((P2 * SECTOR)) $((P2N * SECTOR))"
} >offsets
: >inodes
for f in /docs/readme.txt /home/eve/eicar.com /home/eve/bundle.zip; do
	ino=$(debugfs -R "stat $f" p1.img 2>/dev/null | sed -n 's/^Inode: \([0-9]*\) .*/\1/p')
	[ -n "$ino" ] || { echo "mkimages.sh: debugfs cannot find $f" >&2; exit 1; }
	echo "gpt.img 1 $f $ino" >>inodes
done
# FAT has no inode numbers: the Sleuth Kit numbers each 32-byte directory entry slot,
# 3 for the first slot of the root folder and on through the data area (FAT12/16)
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
fat_inode() { # FSFILE 11-BYTE-NAME (grep -P pattern): TSK's inode of that entry
	local root=$(( ($(u16 "$1" 14) + $(u8 "$1" 16) * $(u16 "$1" 22)) * SECTOR )) at
	at=$(LC_ALL=C grep -obaP "$2" "$1" | awk -F: -v r="$root" '$1 >= r && ($1 - r) % 32 == 0 { print $1; exit }')
	[ -n "$at" ] || { echo "mkimages.sh: no FAT entry $2" >&2; return 1; }
	echo $((3 + (at - root) / 32))
}
echo "gpt.img 2 /DROP/EICAR.COM $(fat_inode p2.img 'EICAR   COM')" >>inodes
echo "gpt.img 2 /NOTES.TXT $(fat_inode p2.img 'NOTES   TXT')" >>inodes
echo "gpt.img 2 /BIG.BIN $(fat_inode p2.img 'BIG     BIN')" >>inodes
echo "gpt.img 2 /_ONE.COM $(fat_inode p2.img '\xe5ONE    COM')" >>inodes

# --- plain.img: ext4 without a partition table -----------------------------------------------
mkdir -p plain
eicar plain/eicar.com
chmod 0644 plain/eicar.com
stamp plain
mke2fs -q -F -t ext4 -b 4096 -I 256 -L vigil-plain -U 5F1C0D1E-0000-4000-8000-0000000000e3 \
	-E hash_seed=5F1C0D1E-0000-4000-8000-0000000000e4,root_owner=0:0 -d plain \
	plain.img 8M >/dev/null
fixctime plain.img plain
echo "plain.img 0 0 $((8 * MiB))" >>offsets
ino=$(debugfs -R "stat /eicar.com" plain.img 2>/dev/null | sed -n 's/^Inode: \([0-9]*\) .*/\1/p')
echo "plain.img 0 /eicar.com $ino" >>inodes

# --- ntfs.img: NTFS without a partition table, an alternate data stream ----------------------
echo "A clean file on NTFS." >clean.txt
echo "Read me: the main stream is clean." >readme.txt
rm -f ntfs.img
truncate -s 16M ntfs.img
mkntfs -q -F -Q -T -s $SECTOR -p 0 -H 0 -S 0 -L vigil-ntfs ntfs.img >/dev/null 2>&1
ntfscp -q ntfs.img clean.txt /clean.txt
ntfscp -q ntfs.img readme.txt /readme.txt
ntfscp -q -N hidden ntfs.img e.com /readme.txt
ntfsls -i ntfs.img | awk '{ print "ntfs.img 0 /" $2 " " $1 }' >>inodes
echo "ntfs.img 0 0 $((16 * MiB))" >>offsets

# --- corrupt.img: p1 garbage (4 MiB at 1 MiB), p2 FAT16 (10 MiB at 5 MiB) --------------------
C1=2048 C1N=8192 C2=10240 C2N=20480
gpt corrupt.img 16 <<EOF
start=$C1, size=$C1N, type=$LINUX, uuid=5F1C0D1E-0000-4000-8000-0000000000b1, name="garbage"
start=$C2, size=$C2N, type=$BASIC, uuid=5F1C0D1E-0000-4000-8000-0000000000b2, name="data"
EOF
# pseudo-random bytes, the same every time (AES-CTR of zeros with a fixed key)
head -c "$((C1N * SECTOR))" /dev/zero |
	openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 00000000000000000000000000000000 -nosalt >c1.img
place c1.img corrupt.img $C1
fat c2.img "$((C2N * SECTOR / 1024))" VIGILBAD 5f1c0d1f
mc c2.img e.com /EICAR.COM
place c2.img corrupt.img $C2
{
	echo "corrupt.img 1 $((C1 * SECTOR)) $((C1N * SECTOR))"
	echo "corrupt.img 2 $((C2 * SECTOR)) $((C2N * SECTOR))"
} >>offsets

# --- trunc.img: gpt.img cut at 40% ----------------------------------------------------------
head -c "$((64 * MiB * 40 / 100))" gpt.img >trunc.img
echo "trunc.img 1 $((P1 * SECTOR)) $((P1N * SECTOR))" >>offsets
echo "trunc.img 2 $((P2 * SECTOR)) $((P2N * SECTOR))" >>offsets

# --- gpt.E01: an EnCase 6 copy of gpt.img --------------------------------------------------------
rm -f gpt.E0*
ewfacquire -u -q -t "$w/gpt" -f encase6 -c deflate:fast -b 64 -m fixed -M physical \
	-C VIGIL-T6100 -D "vigil e2e fixture" -e vigil -E 1 -N "gpt.img" -S 1073741824 \
	gpt.img >ewfacquire.log 2>&1 || { cat ewfacquire.log >&2; exit 1; }
test -s gpt.E01

sha256sum e.com | cut -d' ' -f1 >eicar.sha256
# mtime of every image fixed too (the test checks that a scan does not change it)
touch -d "$STAMP" gpt.img gpt.E0* ntfs.img plain.img corrupt.img trunc.img
mv gpt.img gpt.E0* ntfs.img plain.img corrupt.img trunc.img offsets inodes eicar.sha256 "$out"/
