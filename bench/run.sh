#!/usr/bin/env bash
# Runs runbook and the peer tools side by side on the same generated inputs
# and prints a table of medians and ratios (peer ÷ ours: above 1 means
# runbook is faster). See bench/README.md.
#
#   bench/run.sh                 # every rows file in bench/rows/
#   bench/run.sh bench/rows/recording.sh
#   RUNS=10 bench/run.sh         # more runs per command (default 5)
#   RUNBOOK=/path/to/runbook bench/run.sh   # measure a given binary
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

OUT=bench/out
mkdir -p "$OUT"
RUNS=${RUNS:-5}
RESULTS="$OUT/results.txt"

for tool in hyperfine /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install hyperfine time)" >&2; exit 1; }
done

if [ -z "${RUNBOOK:-}" ]; then
	RUNBOOK="$OUT/runbook"
	go build -o "$RUNBOOK" ./cmd/runbook
fi
RUNBOOK=$(realpath "$RUNBOOK")
export RUNBOOK OUT

# input NAME SIZE: a generated ttyrec of SIZE payload bytes at $OUT/NAME,
# made once and kept (bench/out is git-ignored).
input() {
	local name=$1 size=$2
	if [ ! -s "$OUT/$name" ]; then
		echo "==> generating $OUT/$name ($size)" >&2
		go run ./bench/gen -size "$size" -o "$OUT/$name"
	fi
}

printf '%-34s %12s   %-22s %12s %9s\n' "row" "runbook" "peer" "peer" "ratio" | tee "$RESULTS"

# row NAME BYTES OURS PEER-NAME PEER-CMD [PEER-NAME PEER-CMD]...
# Times OURS and each peer command with hyperfine (same run, same input)
# and prints the medians, the throughput of ours over BYTES, and the ratio
# peer median ÷ our median.
row() {
	local name=$1 bytes=$2 ours=$3
	shift 3
	args=(--style none --warmup 1 --runs "$RUNS" --export-csv "$OUT/row.csv" -n ours "$ours")
	local peers=()
	while [ $# -ge 2 ]; do
		args+=(-n "$1" "$2")
		peers+=("$1")
		shift 2
	done
	hyperfine "${args[@]}" >/dev/null
	# CSV: command,mean,stddev,median,user,system,min,max
	local our_med
	our_med=$(awk -F, '$1=="ours"{print $4}' "$OUT/row.csv")
	local mbs
	mbs=$(awk -v b="$bytes" -v t="$our_med" 'BEGIN{ if (b>0) printf "%.0f MB/s", b/t/1e6; else printf "-" }')
	for p in "${peers[@]}"; do
		local peer_med
		peer_med=$(awk -F, -v n="$p" '$1==n{print $4}' "$OUT/row.csv")
		awk -v name="$name" -v o="$our_med" -v p="$peer_med" -v pn="$p" -v mbs="$mbs" \
			'BEGIN{ printf "%-34s %9.1f ms   %-22s %9.1f ms %8.2fx   (runbook %s)\n", name, o*1000, pn, p*1000, p/o, mbs }' | tee -a "$RESULTS"
	done
}

# rss NAME CMD-SMALL CMD-BIG: peak resident memory of the same command on
# a small and a big input (constant memory: the two are about equal).
rss() {
	local name=$1 small=$2 big=$3
	/usr/bin/time -f '%M' -o "$OUT/rss.small" bash -c "$small" >/dev/null 2>&1
	/usr/bin/time -f '%M' -o "$OUT/rss.big" bash -c "$big" >/dev/null 2>&1
	awk -v name="$name" -v a="$(tail -1 "$OUT/rss.small")" -v b="$(tail -1 "$OUT/rss.big")" \
		'BEGIN{ printf "%-34s peak RSS %6.1f MB (small) %6.1f MB (big)   big/small %.2f\n", name, a/1024, b/1024, b/a }' | tee -a "$RESULTS"
}

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	files=(bench/rows/*.sh)
fi
for f in "${files[@]}"; do
	echo "==> $f" >&2
	# shellcheck source=/dev/null
	. "$f"
done
echo "(results also in $RESULTS)" >&2
