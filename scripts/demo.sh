#!/usr/bin/env bash
# The README's main job, end to end: build runbook, run the demo runbook
# (runbooks/demo.lua) on this machine recorded into recordings/, then play
# the recording back. Works with or without a terminal (in CI the session
# and the playback are printed to stdout); needs Go and bash, not root.
#
#   scripts/demo.sh              # record, then play back at normal speed
#   SPEED=4 scripts/demo.sh      # play back faster
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

echo "==> go build -o runbook ./cmd/runbook"
go build -o runbook ./cmd/runbook

stamp=$(date -u +%Y%m%dT%H%M%SZ)
rec="recordings/demo-local-$stamp.ttyrec"
echo "==> ./runbook runbooks/demo.lua --record $rec"
./runbook runbooks/demo.lua --record "$rec"

echo "==> ./runbook info $rec"
./runbook info "$rec"

echo "==> ./runbook play $rec --speed ${SPEED:-1}"
./runbook play "$rec" --speed "${SPEED:-1}"
echo
echo "==> done: the recording is $rec (index: $rec.json)"
