# Emulator rows (issue 8), sourced by bench/run.sh: the same terminal
# output through our emulator (runbook render: read, emulate, keep
# keyframes, print the last screen), xterm.js headless under node and a
# tmux pane. xterm.js is installed from bench/emulator/package.json
# (pinned) into bench/out, never vendored.

input small.ttyrec 20MB
[ -s "$OUT/emu.raw" ] || "$RUNBOOK" convert "$OUT/small.ttyrec" - --to raw >"$OUT/emu.raw"
if [ ! -d "$OUT/emulator/node_modules/@xterm/headless" ]; then
	mkdir -p "$OUT/emulator"
	cp bench/emulator/package.json "$OUT/emulator/"
	(cd "$OUT/emulator" && npm install --no-audit --no-fund >/dev/null)
fi
cp bench/emulator/xterm.js "$OUT/emulator/"
raw=$(stat -c %s "$OUT/emu.raw")

row "emulate 20MB (80x24)" "$raw" \
	"$RUNBOOK render $OUT/small.ttyrec --end" \
	"xterm.js headless" "node $OUT/emulator/xterm.js $OUT/emu.raw 80 24" \
	"tmux 3.3" "bench/emulator/tmux.sh $OUT/emu.raw 80 24"
