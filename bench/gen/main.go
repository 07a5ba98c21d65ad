// Command gen writes a large, realistic ttyrec recording for the benchmarks
// in bench/: shell prompts and keystroke echo in small frames, command
// output (coloured listings, logs, UTF-8) in frames of up to 4 KiB, and
// now and then a long idle gap. The content is fixed by -seed, so every
// run measures the same bytes.
//
// It imports only the recording package (whose Writer it uses, as the
// engine does) and the standard library.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/recording"
)

func main() {
	size := flag.String("size", "200MB", "payload size to write (e.g. 20MB, 200MB)")
	out := flag.String("o", "", "output .ttyrec path")
	seed := flag.Uint64("seed", 1, "random seed")
	hostile := flag.String("hostile", "", "write the hostile recording `KIND` (.cast) instead: header-1e8, resize-50, resize-200, osc-50mb, osc-50mb-v1 (.json), osc-50mb-ttyrec (.ttyrec), csi-bomb, events-300k")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -size 200MB -o FILE.ttyrec | gen -hostile KIND -o FILE.cast")
		os.Exit(2)
	}
	if *hostile != "" {
		if err := genHostile(*out, *hostile); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	if err := gen(*out, n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(s)
	switch {
	case strings.HasSuffix(u, "GB"):
		mult, u = 1e9, strings.TrimSuffix(u, "GB")
	case strings.HasSuffix(u, "MB"):
		mult, u = 1e6, strings.TrimSuffix(u, "MB")
	case strings.HasSuffix(u, "KB"):
		mult, u = 1e3, strings.TrimSuffix(u, "KB")
	}
	v, err := strconv.ParseInt(u, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return v * mult, nil
}

var words = strings.Fields(`apt-get install linux-image-amd64 xen-hypervisor grub dnsmasq bridge
	Setting up Unpacking Preparing to unpack Selecting previously unselected package
	debootstrap andromeda /etc/default/grub /var/log/syslog ✓ é ü — “quoted” 日本語 kernel
	systemd-networkd xenbr0 10.0.0.1 255.255.255.0 OK done Reading package lists...`)

func line(r *rand.Rand, b []byte) []byte {
	switch r.IntN(4) {
	case 0: // coloured listing
		for i := 0; i < 6; i++ {
			b = fmt.Appendf(b, "\x1b[01;3%dm%s\x1b[0m  ", 1+r.IntN(6), words[r.IntN(len(words))])
		}
	case 1: // progress with a carriage return
		b = fmt.Appendf(b, "\rProgress: [%3d%%] [%s%s]", r.IntN(100), strings.Repeat("#", r.IntN(30)), strings.Repeat(".", r.IntN(30)))
	default:
		for i, k := 0, 4+r.IntN(10); i < k; i++ {
			b = append(b, words[r.IntN(len(words))]...)
			b = append(b, ' ')
		}
	}
	return append(b, '\r', '\n')
}

func gen(path string, total int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(seed, 42))
	clock := recording.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	w, err := recording.NewWriter(bw, recording.WriterOptions{Cols: 120, Rows: 40, Clock: clock})
	if err != nil {
		return err
	}
	var written int64
	buf := make([]byte, 0, 8192)
	for written < total {
		buf = buf[:0]
		switch k := r.IntN(10); {
		case k < 3: // keystroke echo, a prompt
			if r.IntN(4) == 0 {
				buf = append(buf, "\x1b[?2004h\x1b[01;32mroot@andromeda\x1b[0m:\x1b[01;34m~\x1b[0m# "...)
			} else {
				buf = append(buf, words[r.IntN(len(words))][0])
			}
			clock.Advance(time.Duration(20+r.IntN(300)) * time.Millisecond)
		default: // a burst of output, up to 4 KiB
			limit := 512 + r.IntN(3584)
			for len(buf) < limit {
				buf = line(r, buf)
			}
			clock.Advance(time.Duration(r.IntN(50)) * time.Millisecond)
		}
		if r.IntN(2000) == 0 {
			clock.Advance(time.Duration(5+r.IntN(120)) * time.Second) // someone went for coffee
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		written += int64(len(buf))
	}
	if err := w.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
