package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// askTTY asks one question at the controlling terminal and reads the
// answer line; with echo false the answer is read with echo off (secrets,
// passwords) and goes nowhere but to the caller.
func askTTY(st *IO, question string, echo bool) (string, error) {
	fmt.Fprint(st.Err, question)
	if !echo {
		b, err := term.ReadPassword(int(st.TTY.Fd()))
		fmt.Fprintln(st.Err)
		return string(b), err
	}
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := st.TTY.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			line = append(line, buf[0])
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}
