# Rows for `runbook rec` (issue 18): cat of a big text file inside the
# recorder, side by side with asciinema rec and ttyrec, each under
# script(1) for a terminal (a recorder reads the keyboard from one), and
# a check that runbook's recording holds every byte cat wrote. Sourced by
# bench/run.sh. REC_BENCH_MB sets the size (default 200, as the issue asks).
#
# runbook rec runs the command with --command (no marks: the shell's
# marks cost nothing on cat's output, they are a few bytes a prompt);
# asciinema rec and ttyrec run the same command their own way (-c, -e).

mb=${REC_BENCH_MB:-200}
txt="$OUT/rec-cat-${mb}MB.txt"
if [ ! -s "$txt" ]; then
	echo "==> generating $txt" >&2
	# yes dies of SIGPIPE when head has enough: not a failure here.
	(set +o pipefail; yes 'runbook rec bench: a line of plain text, as cat of a log shows it 0123456789' | head -c "${mb}M") >"$txt"
fi
bytes=$(stat -c %s "$txt")

# script(1) types its terminal's end-of-file character when its standard
# input ends (a bench run from cron, nohup or CI has none): the recorder
# passes that keystroke on, and its echo lands in the middle of cat's
# output. A FIFO this shell holds open is an input that never ends.
in="$OUT/rec-stdin.fifo"
[ -p "$in" ] || mkfifo "$in"
exec 3<>"$in"
row "rec: cat ${mb}MB" "$bytes" \
	"script -qec \"$RUNBOOK rec --overwrite --command 'cat $txt' $OUT/rec-ours.ttyrec\" /dev/null <$in" \
	"asciinema rec" "script -qec \"asciinema rec --overwrite -q -c 'cat $txt' $OUT/rec-peer.cast\" /dev/null <$in" \
	ttyrec "script -qec \"ttyrec -e 'cat $txt' $OUT/rec-peer.ttyrec\" /dev/null <$in"
exec 3<&-

# Every byte: the pty turns each LF into CR LF; take the CRs out again.
# cat's output ends the recording; before it there may be the echo of
# what script(1) passed from its standard input (^@ or ^D), not cat's.
if "$RUNBOOK" convert "$OUT/rec-ours.ttyrec" - --to raw | tr -d '\r' | tail -c "$bytes" | cmp -s - "$txt"; then
	echo "rec: the recording holds every byte of the ${mb} MB cat" | tee -a "$RESULTS"
else
	echo "rec: the recording DIFFERS from what cat wrote" | tee -a "$RESULTS"
fi
