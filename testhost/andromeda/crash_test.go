package andromeda

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envStarter makes this test binary a process that brings andromeda up
// and then waits to be killed: a stand-in for a test run that dies.
const envStarter = "ANDROMEDA_TEST_STARTER"

func starter() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h, err := Up(ctx, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("up %d %s\n", h.child.Process.Pid, h.Dir())
	time.Sleep(time.Hour)
}

// gone reports whether pid has ended (a zombie has ended: this sandbox's
// PID 1 does not reap the orphans it inherits).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, pid := range pids {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: process %d still running a minute later", what, pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// The process that started andromeda dies without a word (a test binary
// killed by -timeout, say): andromeda goes down by itself.
func TestStarterKilledAndromedaGoesDown(t *testing.T) {
	Shared(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envStarter+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	var sup int
	var dir string
	if _, err := fmt.Sscanf(line, "up %d %s", &sup, &dir); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("starter said %q", line)
	}
	nspawns := childrenOf(sup)
	if len(nspawns) != 1 {
		t.Fatalf("supervisor %d: children %v", sup, nspawns)
	}
	inits := childrenOf(nspawns[0])
	cmd.Process.Kill()
	cmd.Wait()
	waitGone(t, "after its starter was killed", append([]int{sup, nspawns[0]}, inits...)...)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("run directory %s is still there", dir)
	}
}

// The supervisor itself is killed: nspawn halts the container (it gets
// SIGTERM when its parent dies) and the mounts and namespace die with them.
func TestSupervisorKilledAndromedaGoesDown(t *testing.T) {
	Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := Up(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sup := h.child.Process.Pid
	nspawns := childrenOf(sup)
	if len(nspawns) != 1 {
		t.Fatalf("supervisor %d: children %v", sup, nspawns)
	}
	inits := childrenOf(nspawns[0])
	netLink := nsInode(inits[0], "net")
	syscall.Kill(sup, syscall.SIGKILL)
	<-h.exited
	waitGone(t, "after the supervisor was killed", append([]int{nspawns[0]}, inits...)...)
	if ps := processesIn("net", netLink); len(ps) > 0 {
		t.Errorf("processes still in andromeda's network namespace: %v", ps)
	}
	// What it could not remove itself, down does.
	if err := h.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.Dir()); err == nil {
		t.Errorf("run directory %s is still there after down", h.Dir())
	}
}
