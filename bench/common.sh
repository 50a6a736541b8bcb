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
