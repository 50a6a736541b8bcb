# bench/common.sh — sourced by bench/scan.sh and bench/image.sh (after setting $here).
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
