# Constant memory for the streaming commands: peak RSS of each on a
# 20 MB and a 2 GB recording (the two should be about equal). Sourced by
# bench/run.sh; the 2 GB input and its .cast take 4.5 GB in bench/out.

input small.ttyrec 20MB
input huge.ttyrec 2GB
[ -s "$OUT/small.cast" ] || "$RUNBOOK" convert "$OUT/small.ttyrec" "$OUT/small.cast"
[ -s "$OUT/huge.cast" ] || "$RUNBOOK" convert "$OUT/huge.ttyrec" "$OUT/huge.cast"

rss "info (20 MB vs 2 GB)" "$RUNBOOK info $OUT/small.ttyrec" "$RUNBOOK info $OUT/huge.ttyrec"
rss "check (20 MB vs 2 GB)" "$RUNBOOK check $OUT/small.ttyrec" "$RUNBOOK check $OUT/huge.ttyrec"
rss "convert ttyrec->cast (20 MB vs 2 GB)" "rm -f $OUT/mem.cast; $RUNBOOK convert $OUT/small.ttyrec $OUT/mem.cast" "rm -f $OUT/mem.cast; $RUNBOOK convert $OUT/huge.ttyrec $OUT/mem.cast"
rss "convert cast->ttyrec (20 MB vs 2 GB)" "rm -f $OUT/mem.ttyrec; $RUNBOOK convert $OUT/small.cast $OUT/mem.ttyrec" "rm -f $OUT/mem.ttyrec; $RUNBOOK convert $OUT/huge.cast $OUT/mem.ttyrec"
rss "convert cast->raw (20 MB vs 2 GB)" "$RUNBOOK convert $OUT/small.cast - --to raw" "$RUNBOOK convert $OUT/huge.cast - --to raw"
rss "render --end (20 MB vs 2 GB)" "$RUNBOOK render $OUT/small.ttyrec --end" "$RUNBOOK render $OUT/huge.ttyrec --end"

rm -f "$OUT"/mem.cast "$OUT"/mem.ttyrec "$OUT"/mem.ttyrec.json "$OUT"/mem.cast.json
