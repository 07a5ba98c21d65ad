package ssh

import (
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A fleet dials hundreds of hosts with the same ssh_config and known_hosts
// files, each listing every host: parsed once per dial and kept by each
// Target (for Reconnect), they cost time and memory in the square of the
// hosts. What is parsed of a file is kept here and shared for as long as
// the file is the same (its size, modification time and inode): a file
// that changes — a host key added by accept-new — is read again.

// fileSig tells whether a file changed since it was read.
type fileSig struct {
	size int64
	mod  time.Time
	ino  uint64
}

func sigOf(fi os.FileInfo) fileSig {
	s := fileSig{size: fi.Size(), mod: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s
}

// parseCache keeps one parsed value per key while the files it was
// parsed from are unchanged.
type parseCache[T any] struct {
	mu sync.Mutex
	m  map[string]parsed[T]
}

type parsed[T any] struct {
	sigs []fileSig
	v    T
}

// get returns the value parsed from files (their signatures sigs) under
// key, parsing it with parse when there is none or a file changed. Two
// dials may parse the same files at once; the last one is kept.
func (c *parseCache[T]) get(key string, sigs []fileSig, parse func() (T, error)) (T, error) {
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok && slices.Equal(p.sigs, sigs) {
		return p.v, nil
	}
	v, err := parse()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]parsed[T]{}
	}
	c.m[key] = parsed[T]{sigs: sigs, v: v}
	c.mu.Unlock()
	return v, nil
}

// statAll returns the signatures of paths, or false when one cannot be
// read (then nothing is cached).
func statAll(paths []string) ([]fileSig, bool) {
	sigs := make([]fileSig, len(paths))
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, false
		}
		sigs[i] = sigOf(fi)
	}
	return sigs, true
}

func cacheKey(paths []string) string { return strings.Join(paths, "\x00") }
