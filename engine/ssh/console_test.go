package ssh

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"
)

func TestConsoleRunsTheCommandWithTheHostName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg := &Target{name: "andromeda", o: Options{Console: `echo "console of %h"; exec cat`}}
	c, err := tg.Console(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "console of andromeda\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	if _, err := c.Write([]byte("typed\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "typed\n" {
		t.Fatalf("echoed %q, %v", line, err)
	}
}

func TestConsoleCommandThatFailsSaysWhy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg := &Target{name: "andromeda", o: Options{Console: `echo "no BMC answers for %h" >&2; exit 3`}}
	c, err := tg.Console(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Read(make([]byte, 10))
	if err == nil || !strings.Contains(err.Error(), "no BMC answers for andromeda") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v; want the command's exit and its stderr", err)
	}
}

func TestNoConsoleIsAClearError(t *testing.T) {
	tg := &Target{name: "andromeda"}
	if _, err := tg.Console(context.Background()); err == nil || !strings.Contains(err.Error(), "--console") {
		t.Fatalf("err = %v; want it to name --console", err)
	}
}
