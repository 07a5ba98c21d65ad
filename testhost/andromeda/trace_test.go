package andromeda

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// machine is what andromeda must leave as it found it on this machine.
type machine struct {
	etc    map[string]string // path -> mode, owner, content hash or link
	links  []string          // network interfaces of this namespace
	routes string
	mounts []string // mounts that mention the cache, nspawn or /run/systemd
	paths  map[string]bool
	loops  []string // loop devices backed by files in the cache
}

func snapshot(t *testing.T, cache string) machine {
	t.Helper()
	m := machine{etc: map[string]string{}, paths: map[string]bool{}}
	filepath.WalkDir("/etc", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		st := info.Sys().(*syscall.Stat_t)
		v := fmt.Sprintf("%v %d:%d", info.Mode(), st.Uid, st.Gid)
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		m.etc[p] = v
		return nil
	})
	ents, _ := os.ReadDir("/sys/class/net")
	for _, e := range ents {
		m.links = append(m.links, e.Name())
	}
	r4, _ := os.ReadFile("/proc/net/route")
	r6, _ := os.ReadFile("/proc/net/ipv6_route")
	m.routes = string(r4) + string(r6)
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (strings.Contains(l, cache) || strings.Contains(l, "nspawn") || strings.Contains(l, "/run/systemd")) {
			m.mounts = append(m.mounts, strings.Join(f[3:], " "))
		}
	}
	for _, p := range []string{"/run/systemd/nspawn", "/run/systemd/machines", "/run/netns", "/var/lib/machines", "/var/log/journal", "/etc/systemd/nspawn"} {
		_, err := os.Lstat(p)
		m.paths[p] = err == nil
	}
	bf, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, f := range bf {
		b, _ := os.ReadFile(f)
		if strings.HasPrefix(string(b), cache) {
			m.loops = append(m.loops, f+": "+strings.TrimSpace(string(b)))
		}
	}
	sort.Strings(m.mounts)
	return m
}

func nsInode(pid int, ns string) string {
	l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	return l
}

// processesIn lists the processes in namespace link (e.g. "net:[4026532]").
func processesIn(kind, link string) []string {
	var out []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if nsInode(pid, kind) == link {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			out = append(out, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
		}
	}
	return out
}

func TestDownLeavesNoTrace(t *testing.T) {
	Shared(t) // skips where andromeda cannot come up
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, cache)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := Up(ctx, Options{DiskSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	must(t, h, "systemctl start dbus; apt-get --version >/dev/null")
	// What andromeda is made of while it is up; each must be gone after.
	sup := h.child.Process.Pid
	ns := childrenOf(sup)
	if len(ns) != 1 {
		t.Fatalf("supervisor %d has children %v, want just nspawn", sup, ns)
	}
	inits := childrenOf(ns[0])
	if len(inits) != 1 {
		t.Fatalf("nspawn %d has children %v, want the container's init", ns[0], inits)
	}
	netLink, mntLink := nsInode(inits[0], "net"), nsInode(sup, "mnt")
	if netLink == nsInode(os.Getpid(), "net") || mntLink == nsInode(os.Getpid(), "mnt") {
		t.Fatalf("andromeda shares this machine's namespaces: net %s mnt %s", netLink, mntLink)
	}
	if len(processesIn("net", netLink)) < 3 {
		t.Fatalf("andromeda's network namespace has too few processes to be a booted host: %v", processesIn("net", netLink))
	}
	if during := snapshot(t, cache); len(during.loops) != len(before.loops)+1 {
		t.Fatalf("the disk is not attached: %v", during.loops)
	}
	port := h.state.Port
	dir := h.Dir()

	if err := h.Down(ctx); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, cache)

	for _, pid := range []int{sup, ns[0], inits[0]} {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("process %d is still there after down", pid)
		}
	}
	if ps := processesIn("net", netLink); len(ps) > 0 {
		t.Errorf("processes still in andromeda's network namespace: %v", ps)
	}
	if ps := processesIn("mnt", mntLink); len(ps) > 0 {
		t.Errorf("processes still in the supervisor's mount namespace: %v", ps)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("run directory %s is still there", dir)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on 127.0.0.1:%d", port)
	}
	if fmt.Sprint(before.links) != fmt.Sprint(after.links) {
		t.Errorf("network interfaces changed: %v -> %v", before.links, after.links)
	}
	if before.routes != after.routes {
		t.Errorf("routes changed:\n%s\n->\n%s", before.routes, after.routes)
	}
	if fmt.Sprint(before.mounts) != fmt.Sprint(after.mounts) {
		t.Errorf("mounts changed: %v -> %v", before.mounts, after.mounts)
	}
	if fmt.Sprint(before.paths) != fmt.Sprint(after.paths) {
		t.Errorf("runtime paths changed: %v -> %v", before.paths, after.paths)
	}
	if fmt.Sprint(before.loops) != fmt.Sprint(after.loops) {
		t.Errorf("loop devices: %v -> %v", before.loops, after.loops)
	}
	for p, v := range after.etc {
		if before.etc[p] != v {
			t.Errorf("/etc changed: %s: %q -> %q", p, before.etc[p], v)
		}
	}
	for p := range before.etc {
		if _, ok := after.etc[p]; !ok {
			t.Errorf("/etc changed: %s removed", p)
		}
	}
}
