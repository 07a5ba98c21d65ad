# Hostile recordings (issue 14): what runbook spends on each, measured
# once with /usr/bin/time -v (peak RSS and wall time), and how soon it
# ends on Ctrl-C. Targets: each under 200 MB and 2 s, Ctrl-C within 1 s,
# exit 130, no output file left. No peer: these are limits, not races.
# Sourced by bench/run.sh (bench/run.sh bench/rows/hostile.sh).

kinds="header-1e8 resize-50 resize-200 osc-50mb osc-50mb-v1 osc-50mb-ttyrec csi-bomb"
# hostile KIND: the file of that kind (asciicast v2, but v1 is .json and
# the ttyrec .ttyrec).
hostile() {
	case $1 in
	*-v1) echo "$OUT/hostile-$1.json" ;;
	*-ttyrec) echo "$OUT/hostile-$1.ttyrec" ;;
	*) echo "$OUT/hostile-$1.cast" ;;
	esac
}
for kind in $kinds events-300k; do
	f=$(hostile "$kind")
	[ -s "$f" ] || go run ./bench/gen -hostile "$kind" -o "$f"
done

# limits NAME COMMAND: one run under /usr/bin/time -v.
limits() {
	local name=$1 cmd=$2
	/usr/bin/time -v -o "$OUT/limits.txt" bash -c "$cmd" >/dev/null 2>&1 || true
	awk -v name="$name" -F': ' '
		/Maximum resident set size/ { rss = $2 }
		/Elapsed \(wall clock\)/ { wall = $2 }
		/Exit status/ { code = $2 }
		END { printf "%-44s peak RSS %7.1f MB   wall %s   exit %s\n", name, rss/1024, wall, code }' "$OUT/limits.txt" | tee -a "$RESULTS"
}

# interrupt NAME COMMAND: SIGINT 0.3 s after the start; how long until it
# exits, with which code, and whether it left anything in $OUT/hostile.out/.
interrupt() {
	local name=$1 cmd=$2
	rm -rf "$OUT/hostile.out"
	mkdir -p "$OUT/hostile.out"
	bash -c "exec $cmd" >/dev/null 2>&1 &
	local pid=$! t0 t1 code
	sleep 0.3
	t0=$(date +%s.%N)
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" && code=0 || code=$?
	t1=$(date +%s.%N)
	local left
	left=$(ls -A "$OUT/hostile.out" | tr '\n' ' ')
	awk -v name="$name" -v t0="$t0" -v t1="$t1" -v code="$code" -v left="${left:-none}" \
		'BEGIN { if (code == 0) printf "%-44s finished before the Ctrl-C (exit 0)\n", name
			else printf "%-44s Ctrl-C to exit %5.0f ms   exit %s   left: %s\n", name, (t1-t0)*1000, code, left }' | tee -a "$RESULTS"
}

o="$OUT/hostile.out"
for kind in $kinds; do
	f=$(hostile "$kind")
	limits "render $kind" "$RUNBOOK render $f"
	limits "check $kind" "$RUNBOOK check $f"
	limits "info $kind" "$RUNBOOK info $f"
	limits "play $kind (--speed 1000)" "$RUNBOOK play $f --speed 1000 --idle-limit 0"
	limits "export $kind (html)" "rm -f $OUT/hostile.html; $RUNBOOK export $f $OUT/hostile.html"
	limits "convert $kind (cast)" "rm -f $OUT/hostile-copy.cast; $RUNBOOK convert $f $OUT/hostile-copy.cast"
	interrupt "render $kind, Ctrl-C" "$RUNBOOK render $f -o $o/screen.txt"
	interrupt "check $kind, Ctrl-C" "$RUNBOOK check $f"
	interrupt "info $kind, Ctrl-C" "$RUNBOOK info $f"
	interrupt "play $kind, Ctrl-C" "$RUNBOOK play $f --speed 1000 --idle-limit 0"
	interrupt "export $kind, Ctrl-C" "$RUNBOOK export $f $o/page.html"
	interrupt "convert $kind, Ctrl-C" "$RUNBOOK convert $f $o/copy.cast"
done
# 300,000 events 1 ms apart: 0.3 s at --speed 1000 (issue 14: it took
# over 60 s when every event waited for its own timer).
limits "play events-300k --speed 1000" "$RUNBOOK play $OUT/hostile-events-300k.cast --speed 1000 --idle-limit 0"
rm -rf "$OUT/hostile.out" "$OUT/limits.txt" "$OUT/hostile.html" "$OUT/hostile-copy.cast"
