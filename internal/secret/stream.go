package secret

import (
	"bytes"
	"io"
	"sync"
)

// Stream masks a stream of bytes cut anywhere: a form split across two
// writes is still masked, because a tail that may begin one is held back
// until the next write shows what it is (or Flush ends the stream).
type Stream struct {
	set  *Set
	held []byte
}

// NewStream returns a stream masking the secrets of set, as they are when
// each write comes (secrets added later mask from then on).
func NewStream(set *Set) *Stream { return &Stream{set: set} }

// Write masks p and passes on all that is safe to pass; the slice given
// to emit is only valid during the call.
func (m *Stream) Write(p []byte, emit func([]byte)) {
	forms, _ := m.set.snapshot()
	buf := p
	if len(m.held) > 0 {
		buf = append(m.held, p...)
		m.held = nil
	}
	if len(forms) == 0 {
		if len(buf) > 0 {
			emit(buf)
		}
		return
	}
	buf = maskBytes(buf, forms)
	keep := 0
	for _, f := range forms {
		keep = max(keep, partialSuffix(buf, f))
	}
	if keep > 0 {
		m.held = append([]byte(nil), buf[len(buf)-keep:]...)
		buf = buf[:len(buf)-keep]
	}
	if len(buf) > 0 {
		emit(buf)
	}
}

// Held reports how many bytes are held back.
func (m *Stream) Held() int { return len(m.held) }

// Flush passes on what is held back, masked.
func (m *Stream) Flush(emit func([]byte)) {
	if len(m.held) == 0 {
		return
	}
	forms, _ := m.set.snapshot()
	b := maskBytes(m.held, forms)
	m.held = nil
	emit(b)
}

// partialSuffix returns the length of the longest proper prefix of pat
// that p ends with.
func partialSuffix(p, pat []byte) int {
	for n := min(len(pat)-1, len(p)); n > 0; n-- {
		if bytes.Equal(p[len(p)-n:], pat[:n]) {
			return n
		}
	}
	return 0
}

// Writer masks every Write on its way to w. Each Write is masked whole
// (messages, reports, JSON are written whole); a byte stream cut anywhere
// goes through a Stream instead.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	set *Set
}

// NewWriter returns a Writer masking set's secrets on their way to w.
func NewWriter(w io.Writer, set *Set) *Writer { return &Writer{w: w, set: set} }

// Write writes p masked; it reports len(p) when all was written.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(w.set.MaskBytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer underneath (to ask it whether it is a terminal).
func (w *Writer) Unwrap() io.Writer { return w.w }
