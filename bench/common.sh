# bench/common.sh — sourced by the benchmarks (bench/scan.sh, image.sh, deep.sh, targets.sh)
# after setting $here. What every run shares: arguments, the corpora, a work folder, vigil's
# state templates, clamd, timing and sampling.

# bench_args NAME ARGS...: [VIGIL] [--small] from the command line: sets V (the binary, an
# absolute path) and variant (full or small), and the settings every run shares.
bench_args() {
	local name=$1 a
	shift
	V=$here/../build/vigil
	variant=full
	for a in "$@"; do
		case $a in
		--small) variant=small ;;
		-*) echo "usage: bench/$name [VIGIL] [--small]" >&2; exit 2 ;;
		*) V=$a ;;
		esac
	done
	V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
	PY=/usr/bin/python3
	SEED=${VIGIL_BENCH_SEED:-1}
	REPS=3
	CORES=2
	CTF=/usr/share/clamav-testfiles
}

# bench_need TOOL...: exits 2 naming the first tool that is missing
bench_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "bench: $t is needed (make deps)" >&2; exit 2; }
	done
}

# bench_corpus: the seeded corpus of this variant (bench/corpus.py), made only when missing or
# changed; sets cdir, corpus (its tree) and manifest (MANIFEST.json).
bench_corpus() {
	local gen=(--seed "$SEED")
	cdir=${TMPDIR:-/tmp}/vigil-bench-corpus-$variant-$SEED
	[ "$variant" = small ] && gen+=(--small)
	if ! "$PY" "$here/corpus.py" "$cdir" --check "${gen[@]}"; then
		echo "generating the $variant corpus (seed $SEED) in $cdir"
		rm -rf "$cdir"
		"$PY" "$here/corpus.py" "$cdir" "${gen[@]}"
	fi
	corpus=$cdir/tree
	manifest=$cdir/MANIFEST.json
}

# bench_deep_corpus: the deep corpus of this variant (bench/deep_corpus.py: copies of
# clamav-testfiles' PE, OLE2 and other deep files, mails, mboxes, PDFs), made only when its key
# changes; sets ddir, dtree (its tree), dfiles, dbytes and dhides (the files hiding clam.exe).
bench_deep_corpus() {
	local dgen=2 # the generator's version: a change makes it again
	local dkey
	[ -e "$CTF/clam.exe" ] || { echo "bench: needs clamav-testfiles (make deps)" >&2; exit 2; }
	bench_need qpdf
	ddir=${TMPDIR:-/tmp}/vigil-bench-deep-$variant-$SEED
	dkey="gen $dgen seed $SEED variant $variant $(sha256sum "$CTF"/* | sha256sum | cut -c1-16) $(qpdf --version | head -n 1)"
	if [ ! -f "$ddir/KEY" ] || [ "$(cat "$ddir/KEY")" != "$dkey" ]; then
		echo "generating the deep corpus ($variant, seed $SEED) in $ddir"
		rm -rf "$ddir"
		mkdir -p "$ddir/tree"
		CTF=$CTF SEED=$SEED VARIANT=$variant "$PY" "$here/deep_corpus.py" "$ddir"
		echo "$dkey" >"$ddir/KEY"
	fi
	dtree=$ddir/tree
	dfiles=$(find "$dtree" -type f | wc -l)
	dbytes=$(du -sb "$dtree" | cut -f1)
	dhides=$(wc -l <"$ddir/HIDES")
}

# bench_warm DIR...: reads every file twice, so the runs find the page cache warm
bench_warm() {
	local d
	for d in "$@"; do
		find "$d" -type f -print0 | xargs -0 cat >/dev/null
		find "$d" -type f -print0 | xargs -0 cat >/dev/null
	done
}

# bench_workdir PREFIX: a fresh work folder ($work, the current folder from now on, removed at
# exit with clamd and the sampler stopped), vigil's environment cleared of the caller's state
# and configuration, and pin (taskset to $CORES cores where the machine has more).
bench_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	clamd_pid=
	bench_sampler=
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	cd "$work"
	chmod 755 "$work"
	export VIGIL_MANAGED_CONFIG=$work/no-managed.json
	unset VIGIL_CONFIG VIGIL_STATE_DIR VIGIL_EXTRACT VIGIL_EXTRACT_TEST_ARGS
	pin=()
	[ "$(nproc)" -gt "$CORES" ] && command -v taskset >/dev/null && pin=(taskset -c "0-$((CORES - 1))")
	return 0
}
bench_cleanup() {
	bench_sample_stop
	bench_clamd_stop
	rm -rf "$work"
}

# bench_copy_vigil: copies vigil and the vigil-extract beside it into $work and points V at the
# copy: every run measures the same binaries, even if build/ is rebuilt meanwhile
bench_copy_vigil() {
	local vx
	vx=$(dirname "$V")/vigil-extract
	[ -x "$vx" ] || { echo "bench: no vigil-extract beside $V" >&2; exit 2; }
	cp "$V" "$work/vigil"
	cp "$vx" "$work/vigil-extract"
	V=$work/vigil
}

# bench_state_tmpl NAME [FILE...]: the state template $work/tmpl-NAME: FILEs imported with
# vigil sigdb import (none: vigil's embedded rules) and the rules compiled by a scan of an
# empty folder
bench_state_tmpl() {
	local name=$1 f
	shift
	mkdir -p "$work/empty"
	for f in "$@"; do
		VIGIL_STATE_DIR=$work/tmpl-$name "$V" -q sigdb import "$f" >/dev/null
	done
	VIGIL_STATE_DIR=$work/tmpl-$name "$V" -q scan custom "$work/empty" >/dev/null
}
# bench_fresh_state NAME: $work/state, a fresh copy of the template NAME
bench_fresh_state() {
	rm -rf "$work/state"
	cp -a "$work/tmpl-$1" "$work/state"
	# written back now, not in the timed run: the store's first fdatasync would otherwise
	# wait for the whole copy (a million hashes: 130 MB, 0.3 s of a 0.07 s scan)
	sync -f "$work/state"
}

# bench_has_clam: is ClamAV (clamscan, clamd, clamdscan and its user) here?
bench_has_clam() {
	command -v clamscan >/dev/null && command -v clamd >/dev/null && command -v clamdscan >/dev/null &&
		id clamav >/dev/null 2>&1
}
# bench_clamdb NAME [YAR...]: the ClamAV database $work/clamdb-NAME: vigil's embedded rules as
# .yar, EICAR's MD5 as .hdb (the rule set "default" of bench/scan.sh), and the YAR files given
bench_clamdb() {
	local name=$1 f
	shift
	mkdir -p "$work/clamdb-$name"
	cp "$here/../sigdb/default_rules.yar" "$work/clamdb-$name/vigil.yar"
	printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Hash\n' >"$work/clamdb-$name/test.hdb"
	for f in "$@"; do
		cp "$f" "$work/clamdb-$name/"
	done
	# clamd (as clamav) makes its socket in a folder of its own: vigil refuses a state folder in
	# $work if another user owns $work
	mkdir -p "$work/clamd"
	chown clamav "$work/clamd"
	chown -R clamav "$work/clamdb-$name"
}
# bench_clamd_start NAME: a fresh clamd (pinned, MaxThreads $CORES, the database clamdb-NAME,
# configuration $work/clamd-NAME.conf) that answers on $work/clamd/clamd.sock; sets clamd_pid
bench_clamd_start() {
	local name=$1
	cat >"$work/clamd-$name.conf" <<CONF
Foreground yes
LocalSocket $work/clamd/clamd.sock
DatabaseDirectory $work/clamdb-$name
User clamav
MaxThreads $CORES
CONF
	rm -f "$work/clamd/clamd.sock"
	"${pin[@]}" clamd --config-file="$work/clamd-$name.conf" >>"$work/clamd-$name.out" 2>&1 &
	clamd_pid=$!
	for _ in $(seq 3000); do
		[ -S "$work/clamd/clamd.sock" ] && return 0
		kill -0 "$clamd_pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "clamd did not start: $(tail -n 3 "$work/clamd-$name.out")" >&2
	bench_clamd_stop
	return 1
}
bench_clamd_stop() {
	[ -n "${clamd_pid:-}" ] || return 0
	kill "$clamd_pid" 2>/dev/null
	wait "$clamd_pid" 2>/dev/null || true
	clamd_pid=
}
# bench_clamd_hwm: the running clamd's peak RSS (VmHWM, KiB)
bench_clamd_hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$clamd_pid/status" 2>/dev/null || echo 0; }

# bench_run OUT ERR CMD...: one run of CMD, pinned, stdout to OUT and stderr to ERR; sets w (wall
# seconds, to the millisecond), m (peak RSS in KiB of the largest single process among CMD
# and the children it waited for: /usr/bin/time's %M) and x (the exit code)
bench_run() {
	local out=$1 err=$2 t0 us
	shift 2
	t0=${EPOCHREALTIME/[.,]/} # microseconds (the separator follows the locale)
	/usr/bin/time -f "%M %x" -o "$work/time.out" "${pin[@]}" "$@" >"$out" 2>"$err" || true
	us=$((${EPOCHREALTIME/[.,]/} - t0))
	read -r m x < <(tail -n 1 "$work/time.out")
	w=$(printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000)))
}

# bench_sample_start FILE: samples the RSS (KiB) of the extractors run from vigil-extract beside
# $V (bench_copy_vigil: in $work, so those of other work on the machine are not counted) every
# 0.2 s until bench_sample_stop: "largest one, largest sum over all of them at one time" in FILE
bench_sample_start() {
	echo "0 0" >"$1"
	bench_sample_rss "$1" "$(dirname "$V")/vigil-extract" &
	bench_sampler=$!
}
bench_sample_stop() {
	[ -n "${bench_sampler:-}" ] || return 0
	kill "$bench_sampler" 2>/dev/null
	wait "$bench_sampler" 2>/dev/null || true
	bench_sampler=
}
bench_sample_rss() {
	local one=0 sum=0 o s
	while :; do
		read -r o s < <(ps -e -o rss=,args= | awk -v p="$2" '$2 == p { s += $1; if ($1 > m) m = $1 } END { print m + 0, s + 0 }')
		[ "$o" -gt "$one" ] && one=$o
		[ "$s" -gt "$sum" ] && sum=$s
		echo "$one $sum" >"$1.tmp" && mv "$1.tmp" "$1"
		sleep 0.2
	done
}

# bench_machine: "DATE; N cores (CPU), MEM, kernel K" for a section's header
bench_machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores ($cpu), $mem, kernel $(uname -r)"
}
