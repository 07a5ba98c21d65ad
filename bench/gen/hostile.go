package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
)

// hostileKinds are the hostile recordings of the fault sweep (issue 14),
// at full size, for /usr/bin/time -v in rows/hostile.sh. Their small
// forms are the fuzz seeds in player/testdata/fuzz/FuzzPlay.
var hostileKinds = map[string]func(w *bufio.Writer){
	// A 71-byte asciicast header asking for a 10⁸×10⁸ terminal.
	"header-1e8": func(w *bufio.Writer) {
		fmt.Fprintf(w, "{\"version\": 2, \"width\": 100000000, \"height\": 100000000}\n[0.1, \"o\", \"hi\"]\n")
	},
	// 50 and 200 resize events near 4096×4096, drawing between them.
	"resize-50":  func(w *bufio.Writer) { resizes(w, 50) },
	"resize-200": func(w *bufio.Writer) { resizes(w, 200) },
	// 50 MB of an OSC never terminated.
	"osc-50mb": func(w *bufio.Writer) {
		fmt.Fprintf(w, "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"\\u001b]0;")
		chunk := strings.Repeat("A", 1<<20)
		for range 50 {
			w.WriteString(chunk)
		}
		fmt.Fprintf(w, "\"]\n[0.2, \"o\", \"after\"]\n")
	},
	// The same 50 MB as one entry of an asciicast v1 document (one JSON
	// document, read as a stream beyond 8 MiB).
	"osc-50mb-v1": func(w *bufio.Writer) {
		fmt.Fprintf(w, "{\"version\": 1, \"width\": 80, \"height\": 24, \"stdout\": [\n  [0.1, \"\\u001b]0;")
		chunk := strings.Repeat("A", 1<<20)
		for range 50 {
			w.WriteString(chunk)
		}
		fmt.Fprintf(w, "\"],\n  [0.1, \"after\"]\n]}\n")
	},
	// And as one ttyrec frame of 50 MB (after a small first frame, which
	// is what makes a file a ttyrec).
	"osc-50mb-ttyrec": func(w *bufio.Writer) {
		frame := func(sec uint32, n int) {
			binary.Write(w, binary.LittleEndian, [3]uint32{sec, 0, uint32(n)})
		}
		frame(1700000000, 2)
		w.WriteString("$ ")
		frame(1700000001, 4+50<<20)
		w.WriteString("\x1b]0;")
		chunk := strings.Repeat("A", 1<<20)
		for range 50 {
			w.WriteString(chunk)
		}
	},
	// 10 MB of CSI sequences with absurd parameters.
	"csi-bomb": func(w *bufio.Writer) {
		fmt.Fprintf(w, "{\"version\": 2, \"width\": 200, \"height\": 60}\n")
		bomb := strings.Repeat("\\u001b[99999999999;99999999999H\\u001b[99999999999@\\u001b[99999999999L\\u001b[99999999999b", 100)
		for i := range 1000 {
			fmt.Fprintf(w, "[%d.%03d, \"o\", \"%s\"]\n", i/1000, i%1000, bomb)
		}
	},
	// 300,000 one-character events 1 ms apart: 300 s of recording, 0.3 s
	// at --speed 1000.
	"events-300k": func(w *bufio.Writer) {
		fmt.Fprintf(w, "{\"version\": 2, \"width\": 80, \"height\": 24}\n")
		for i := range 300000 {
			fmt.Fprintf(w, "[%d.%03d, \"o\", \"%c\"]\n", i/1000, i%1000, 'a'+i%26)
		}
	},
}

func resizes(w *bufio.Writer, n int) {
	fmt.Fprintf(w, "{\"version\": 2, \"width\": 80, \"height\": 24}\n")
	for i := range n {
		fmt.Fprintf(w, "[%d.%03d, \"r\", \"%dx%d\"]\n", i/10, i%10*100, 4096-i%2, 4096-(i+1)%2)
		fmt.Fprintf(w, "[%d.%03d, \"o\", \"x\\u001b[999;999Hy\"]\n", i/10, i%10*100+1)
	}
}

func genHostile(path, kind string) error {
	g, ok := hostileKinds[kind]
	if !ok {
		return fmt.Errorf("unknown -hostile %q", kind)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
