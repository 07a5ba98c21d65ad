# Rows for the recording formats (issue 2): runbook info and convert
# against ttyrec's and termrec's tools and asciinema, on a 200 MB ttyrec
# and the .cast made from it. Sourced by bench/run.sh.

input big.ttyrec 200MB
input small.ttyrec 20MB
[ -s "$OUT/big.cast" ] || "$RUNBOOK" convert "$OUT/big.ttyrec" "$OUT/big.cast"
[ -s "$OUT/small.cast" ] || "$RUNBOOK" convert "$OUT/small.ttyrec" "$OUT/small.cast"
big=$(stat -c %s "$OUT/big.ttyrec")
bigcast=$(stat -c %s "$OUT/big.cast")

row "info 200MB ttyrec" "$big" \
	"$RUNBOOK info $OUT/big.ttyrec" \
	ttytime "ttytime $OUT/big.ttyrec" \
	termtime "termtime $OUT/big.ttyrec"

row "ttyrec -> .cast" "$big" \
	"rm -f $OUT/ours.cast; $RUNBOOK convert $OUT/big.ttyrec $OUT/ours.cast" \
	termcat "rm -f $OUT/peer.cast; termcat $OUT/big.ttyrec $OUT/peer.cast"

# asciinema cat insists on a terminal even to print, so it runs under
# script(1); runbook prints to a pipe, as it would in a pipeline.
row ".cast -> raw output" "$bigcast" \
	"$RUNBOOK convert $OUT/big.cast - --to raw >/dev/null" \
	"asciinema cat" "script -qfec 'asciinema cat $OUT/big.cast' /dev/null >/dev/null"

row ".cast -> ttyrec" "$bigcast" \
	"rm -f $OUT/ours.ttyrec $OUT/ours.ttyrec.json; $RUNBOOK convert $OUT/big.cast $OUT/ours.ttyrec" \
	termcat "rm -f $OUT/peer.ttyrec; termcat $OUT/big.cast $OUT/peer.ttyrec"

rss "info (20 vs 200 MB)" "$RUNBOOK info $OUT/small.ttyrec" "$RUNBOOK info $OUT/big.ttyrec"
rss "convert ttyrec->cast (20 vs 200 MB)" "rm -f $OUT/rss.cast; $RUNBOOK convert $OUT/small.ttyrec $OUT/rss.cast" "rm -f $OUT/rss.cast; $RUNBOOK convert $OUT/big.ttyrec $OUT/rss.cast"
rss "convert cast->ttyrec (20 vs 200 MB)" "rm -f $OUT/rss.ttyrec; $RUNBOOK convert $OUT/small.cast $OUT/rss.ttyrec" "rm -f $OUT/rss.ttyrec; $RUNBOOK convert $OUT/big.cast $OUT/rss.ttyrec"
rss "convert cast->raw (20 vs 200 MB)" "$RUNBOOK convert $OUT/small.cast - --to raw" "$RUNBOOK convert $OUT/big.cast - --to raw"

# Outputs are removed before each run: convert refuses to overwrite a
# file it did not make. The outputs are only timed; keep bench/out to the (reused) inputs.
rm -f "$OUT"/ours.cast "$OUT"/peer.cast "$OUT"/ours.ttyrec "$OUT"/peer.ttyrec "$OUT"/rss.cast "$OUT"/rss.ttyrec
