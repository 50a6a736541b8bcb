#!/usr/bin/env bash
# bench/rtp.sh — what real-time protection adds to open(): 10,000 small files opened and
# closed, with no daemon, with the daemon (blocking mode) and a cold verdict cache, and with
# a warm one; clamonacc with clamd where they are installed and configured here.
#
#   bench/rtp.sh [VIGIL] [FILES]       (defaults: build/vigil 10000)
#
# The files live on their own tmpfs, so only their opens reach the daemon. Latency is taken
# per open() in one Python process (the same overhead in every column); the table gives the
# median, the 99th percentile and the total, and each case's median as a ratio to no daemon.
# Writes bench/RESULTS-rtp.md. Needs root (fanotify, mount). Not a test: it never fails on a
# slow machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
V=${1:-$here/../build/vigil}
N=${2:-10000}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
PY=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-rtpbench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	umount "$work/files" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export VIGIL_STATE_DIR="$work/state"
mkdir files
mount -t tmpfs -o size=512m vigil-rtpbench files
"$PY" - "$N" <<'PYEOF'
import os, random, sys
random.seed(7)
n = int(sys.argv[1])
for i in range(n):
    d = "files/d%03d" % (i % 100)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%05d.txt" % (d, i), "w") as f:
        f.write(("line %d of a small text file\n" % i) * random.randint(5, 120))
PYEOF

# opens: one pass over every file; prints "median_us p99_us total_s"
opens() {
	"$PY" - <<'PYEOF'
import os, time
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk("files") for f in fs)
lat = []
t0 = time.perf_counter()
for p in paths:
    s = time.perf_counter_ns()
    fd = os.open(p, os.O_RDONLY)
    lat.append(time.perf_counter_ns() - s)
    os.close(fd)
total = time.perf_counter() - t0
lat.sort()
print("%.1f %.1f %.3f" % (lat[len(lat) // 2] / 1000, lat[len(lat) * 99 // 100] / 1000, total))
PYEOF
}

rows=""
base=
row() {
	local name=$1 med=$2 p99=$3 total=$4 ratio
	[ -z "$base" ] && base=$med
	ratio=$(awk -v m="$med" -v b="$base" 'BEGIN { printf "%.1fx", (b > 0 ? m / b : 0) }')
	r=$(printf '| %-40s | %9s us | %9s us | %8s s | %7s |' "$name" "$med" "$p99" "$total" "$ratio")
	echo "$r"
	rows="$rows$r"$'\n'
}

opens >/dev/null # page cache warm
read -r m p t < <(opens)
row "no real-time protection" "$m" "$p" "$t"

"$V" rtp run --path "$work/files" 2>rtp.log &
pid=$!
for _ in $(seq 100); do "$V" rtp status >/dev/null 2>&1 && break; sleep 0.1; done
read -r m p t < <(opens)
row "vigil rtp (blocking), cold verdict cache" "$m" "$p" "$t"
read -r m p t < <(opens)
row "vigil rtp (blocking), warm verdict cache" "$m" "$p" "$t"
stats=$("$V" --json rtp status)
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

# clamonacc with clamd: the same rules (vigil's default rules as .yar, ClamAV loads the
# YARA subset it supports) and EICAR's MD5, watching the same folder (OnAccessIncludePath:
# with OnAccessMountPath clamonacc does not block); clamd runs as clamav,
# whose accesses clamonacc excludes (it insists on an exclusion against scan loops).
clam="not run: clamonacc and clamd are not installed here (make bench installs clamav-daemon)"
if command -v clamonacc >/dev/null && command -v clamd >/dev/null && id clamav >/dev/null 2>&1; then
	mkdir -p clamdb && chown clamav clamdb "$work" && chmod 755 "$work"
	cp "$here/../sigdb/default_rules.yar" clamdb/vigil.yar
	printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Hash\n' >clamdb/test.hdb
	cat >clamd.conf <<CONF
Foreground yes
LocalSocket $work/clamd.sock
DatabaseDirectory $work/clamdb
LogFile $work/clamd.log
User clamav
OnAccessIncludePath $work/files
OnAccessPrevention yes
OnAccessMaxThreads 2
OnAccessExcludeUname clamav
CONF
	clamd --config-file="$work/clamd.conf" >clamd.out 2>&1 &
	clamd_pid=$!
	for _ in $(seq 100); do [ -S clamd.sock ] && break; sleep 0.2; done
	clamonacc --foreground --config-file="$work/clamd.conf" --fdpass --log="$work/onacc.log" >onacc.out 2>&1 &
	pid=$!
	sleep 5 # clamonacc gives no sign of readiness
	if kill -0 "$pid" 2>/dev/null; then
		read -r m p t < <(opens)
		row "clamonacc + clamd, first pass" "$m" "$p" "$t"
		read -r m p t < <(opens)
		row "clamonacc + clamd, second pass" "$m" "$p" "$t"
		clam="ran (clamd $(clamd --version | cut -d/ -f1), OnAccessIncludePath, OnAccessPrevention yes, --fdpass)"
	else
		clam="not run: clamonacc did not start ($(tail -n 1 onacc.out))"
	fi
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
	pid=
	kill "$clamd_pid" 2>/dev/null; wait "$clamd_pid" 2>/dev/null || true
fi

{
	echo "# Real-time protection: added latency of open()"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $N files of 0.2-3.6 KB on tmpfs, page cache warm."
	echo "vigil $("$V" --version 2>/dev/null | head -1), default rules."
	echo
	echo "| case                                     |    median   |      p99     |   total   | median vs none |"
	echo "|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "clamonacc: $clam."
	echo
	echo "Daemon counters after both passes: $(echo "$stats" | jq -c '{scanned, cache_hits, allowed, denied, deadline_expired, queue_high_water}')"
} >"$here/RESULTS-rtp.md"
cat "$here/RESULTS-rtp.md"
