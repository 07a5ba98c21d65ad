package andromeda

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// netns is a network namespace held only by an open file: nothing names it
// in /run/netns, so it cannot outlive the supervisor that holds it.
type netns struct{ f *os.File }

// newNetns makes an empty network namespace with its loopback up.
func newNetns() (*netns, error) {
	var ns *netns
	err := onLockedThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare network namespace: %w", err)
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			return err
		}
		ns = &netns{f: f}
		return loUp()
	})
	return ns, err
}

func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

// onLockedThread runs fn on an OS thread of its own that is thrown away
// afterwards: fn may change the thread's namespaces, and a goroutine that
// ends while locked takes its thread with it, so no other goroutine ever
// runs in a namespace it did not ask for.
func onLockedThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked, on purpose
		done <- fn()
	}()
	return <-done
}

// do runs fn in the namespace. Sockets made by fn stay in it.
func (ns *netns) do(fn func() error) error {
	return onLockedThread(func() error {
		if err := unix.Setns(int(ns.f.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace: %w", err)
		}
		return fn()
	})
}

// listen opens a listener inside the namespace.
func (ns *netns) listen(addr string) (net.Listener, error) {
	var l net.Listener
	err := ns.do(func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}

// dial connects to addr inside the namespace.
func (ns *netns) dial(ctx context.Context, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// run runs a command inside the namespace: a child forked from a thread
// in the namespace starts in it.
func (ns *netns) run(name string, args ...string) error {
	return ns.do(func() error {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	})
}

func (ns *netns) close() error { return ns.f.Close() }
