package main

import "syscall"

// ptyAttr makes the child a session leader with the pty as its terminal,
// so /dev/tty opens.
func ptyAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true, Setctty: true} }
