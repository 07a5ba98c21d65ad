#!/usr/bin/env bash
# Feeds a raw terminal output file to a tmux pane (raw tty, 160x76 or as
# given) and returns when tmux has parsed all of it: a title set after the
# data shows in pane_title.
#   bench/emulator/tmux.sh FILE COLS ROWS
set -euo pipefail
file=$(realpath "$1")
dir=$(mktemp -d)
trap 'tmux -S "$dir/s" kill-server 2>/dev/null; rm -rf "$dir"' EXIT
tmux -S "$dir/s" -f /dev/null new-session -d -x "$2" -y "$3" \
	"stty raw -echo; cat '$file'; printf '\033]2;bench-done\007'; sleep 600"
until [ "$(tmux -S "$dir/s" display -p '#{pane_title}')" = bench-done ]; do sleep 0.005; done
