package ssh

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// TestQuickAckConn: a TCP connection is wrapped, reads pass every byte
// through unchanged and leave TCP_QUICKACK set on the socket; anything
// else (a ProxyJump hop's channel) is left as it is.
func TestQuickAckConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := make([]byte, 256<<10)
	for i := range want {
		want[i] = byte(i * 7)
	}
	// The server closes only once the client has looked: a FIN puts
	// the kernel's delayed-ACK state back to interactive (tcp_fin), which
	// would read as TCP_QUICKACK off whatever the reads did.
	looked := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write(want)
		<-looked
		c.Close()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := raw.(*net.TCPConn).SyscallConn()
	quick := func() int {
		var v int
		var gerr error
		rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK) })
		if gerr != nil {
			t.Fatal(gerr)
		}
		return v
	}
	// Delayed ACKs on, as the kernel has them on a connection in use.
	rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 0) })
	if quick() != 0 {
		t.Skip("this kernel does not report TCP_QUICKACK")
	}
	c := quickAck(raw)
	defer c.Close()
	if _, ok := c.(*quickAckConn); !ok {
		t.Fatalf("quickAck(%T) = %T, want the wrapper", raw, c)
	}
	got := make([]byte, len(want))
	n, err := io.ReadFull(c, got)
	if err != nil || string(got) != string(want) {
		close(looked)
		t.Fatalf("read %d bytes (%v), want the %d sent", n, err, len(want))
	}
	if quick() != 1 {
		t.Error("TCP_QUICKACK is off after the reads: ACKs are still delayed")
	}
	close(looked)
	if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
		t.Errorf("after the data: %d more bytes, %v; want EOF", len(rest), err)
	}

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if quickAck(a) != a {
		t.Error("a non-TCP connection was wrapped")
	}
}
