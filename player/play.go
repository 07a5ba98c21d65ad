package player

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/runbook-dev/runbook/player/screen"
	"github.com/runbook-dev/runbook/recording"
)

// PlayOptions say how to play a recording in a terminal.
type PlayOptions struct {
	// Speed multiplies the pace (2: twice as fast); 0 means 1.
	Speed float64
	// IdleLimit shortens every longer pause to it when playing (0: the
	// recording's own idle limit, if any; negative: none).
	IdleLimit time.Duration
	// From starts at this time (the screen there is drawn at once).
	From time.Duration
	// Keys, if set, is read for the controls (raw terminal input).
	Keys io.Reader
	// Status, if set, gets one-line notes (speed, paused, step).
	Status func(string)
	// Emulator makes the emulator that draws the screen after a seek
	// (nil: ours, with keyframes).
	Emulator NewEmulator
}

// Keys the player understands, from raw terminal input.
const (
	keyPause = iota + 1
	keyFrame
	keyNextStep
	keyPrevStep
	keyForward
	keyBack
	keyFaster
	keySlower
	keyQuit
	keyInterrupt
	keyNextMatch
	keyPrevMatch
	keyQuery // the query typed so far waits in the queries channel
)

// ErrInterrupted is Ctrl-C typed while playing: the CLI exits 130, as for
// a Ctrl-C anywhere else (q quits cleanly).
var ErrInterrupted = fmt.Errorf("interrupted by Ctrl-C: %w", context.Canceled)

// SeekStep is how far → and ← jump.
const SeekStep = 5 * time.Second

// parseKeys turns raw input into player keys, and what is typed after /
// into queries (with queries nil, / is no key).
func parseKeys(r io.Reader, out chan<- int, queries chan<- query) {
	br := bufio.NewReader(r)
	defer close(out)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		switch b {
		case '/':
			if queries != nil && !readQuery(br, out, queries) {
				return
			}
		case 'n':
			out <- keyNextMatch
		case 'N':
			out <- keyPrevMatch
		case ' ':
			out <- keyPause
		case '.':
			out <- keyFrame
		case ']':
			out <- keyNextStep
		case '[':
			out <- keyPrevStep
		case '+', '=':
			out <- keyFaster
		case '-', '_':
			out <- keySlower
		case 'q', 'Q', 4: // q, Ctrl-D
			out <- keyQuit
			return
		case 3: // Ctrl-C
			out <- keyInterrupt
			return
		case 0x1b:
			// Arrows: ESC [ C / ESC [ D (or ESC O C / ESC O D).
			b1, err := br.ReadByte()
			if err != nil {
				return
			}
			if b1 != '[' && b1 != 'O' {
				br.UnreadByte()
				continue
			}
			b2, err := br.ReadByte()
			if err != nil {
				return
			}
			switch b2 {
			case 'C':
				out <- keyForward
			case 'D':
				out <- keyBack
			}
		}
	}
}

// readQuery reads the text typed after / up to Enter (or Esc or Ctrl-C,
// which cancel it), sending each state of it to queries followed by a
// keyQuery on out, so it keeps its place among the keys. It reports false
// when the input ended.
func readQuery(br *bufio.Reader, out chan<- int, queries chan<- query) bool {
	var q []rune
	send := func(x query) {
		queries <- x
		out <- keyQuery
	}
	send(query{})
	for {
		r, _, err := br.ReadRune()
		if err != nil {
			send(query{cancel: true})
			return false
		}
		switch {
		case r == '\r' || r == '\n':
			send(query{text: string(q), done: true})
			return true
		case r == 0x1b || r == 3:
			send(query{cancel: true})
			return true
		case r == 0x7f || r == 8:
			if len(q) > 0 {
				q = q[:len(q)-1]
			}
		case r >= 0x20:
			q = append(q, r)
		}
		send(query{text: string(q)})
	}
}

// Play plays rec to out in real time (scaled by Speed), with the controls
// when Keys is set: space pause/resume, . next frame while paused, ] and [
// next/previous step, → and ← seek ±5 s, + and - speed, / search (Enter
// shows the first match from here, paused), n and N next/previous match,
// q quit. Seeking
// redraws the screen from the emulator; playing writes the recorded bytes
// as they were.
func Play(ctx context.Context, rec *Recording, out io.Writer, opt PlayOptions) error {
	p, err := newPlayback(ctx, rec, out, opt)
	if err != nil {
		return err
	}
	defer p.timer.Stop()
	return p.run()
}

// playback is the state of one Play: where the timeline is, its pace, the
// keys that steer it and the search.
type playback struct {
	ctx      context.Context
	rec      *Recording
	tl       *Timeline
	chapters []Chapter
	// What is shown is written through bw, flushed once a frame: events
	// that fall within one display frame go out together.
	bw     *bufio.Writer
	status func(string)

	speed  float64
	idle   time.Duration // pauses longer than this are shortened to it (0: none)
	paused bool
	more   bool // events remain to be played
	timer  *time.Timer
	// due is the wall-clock moment the next event should show.
	due time.Time

	keys     chan int // nil without Keys, or once they ended
	queries  chan query
	find     *searcher
	prompted bool // the bottom row shows the search's line
}

// newPlayback sets up Play's state from opt, drawing the screen at From.
func newPlayback(ctx context.Context, rec *Recording, out io.Writer, opt PlayOptions) (*playback, error) {
	p := &playback{ctx: ctx, rec: rec, speed: opt.Speed, idle: opt.IdleLimit, status: opt.Status}
	if p.speed <= 0 {
		p.speed = 1
	}
	if p.idle == 0 {
		p.idle = rec.Header.IdleLimit
		if p.idle == 0 && rec.Index != nil {
			p.idle = rec.Index.IdleLimit.Duration()
		}
	}
	if p.status == nil {
		p.status = func(string) {}
	}
	if opt.Keys != nil {
		p.keys, p.queries = make(chan int, 16), make(chan query, 16)
		go parseKeys(opt.Keys, p.keys, p.queries)
	}
	p.find = &searcher{rec: rec, cur: -1}
	tl, err := rec.TimelineWith(opt.Emulator)
	if err != nil {
		return nil, err
	}
	p.tl = tl
	p.chapters = rec.Chapters()
	if opt.From > 0 {
		if err := tl.Seek(ctx, opt.From); err != nil {
			return nil, err
		}
		if err := Paint(out, tl.View()); err != nil {
			return nil, err
		}
	}
	p.bw = bufio.NewWriterSize(out, 64<<10)
	p.timer = time.NewTimer(0)
	return p, nil
}

// run plays to the end, or until quit, the timer pacing the events and
// the keys steering.
func (p *playback) run() error {
	p.more = p.schedule()
	for p.more || p.paused {
		select {
		case <-p.ctx.Done():
			return p.ctx.Err()
		case <-p.timer.C:
			if err := p.advance(); err != nil {
				return err
			}
		case k, ok := <-p.keys:
			if !ok {
				p.keys = nil
				continue
			}
			// Quit and errors end play at once, without the final flush.
			if quit, err := p.handleKey(k); quit || err != nil {
				return err
			}
		}
	}
	return flushPlay(p.bw)
}

// wait is how long after the event now shown the next one is due.
func (p *playback) wait() (time.Duration, bool) {
	next, ok := p.tl.NextTime()
	if !ok {
		return 0, false
	}
	gap := next - p.tl.Time()
	if p.idle > 0 && gap > p.idle {
		gap = p.idle
	}
	return time.Duration(float64(max(gap, 0)) / p.speed), true
}

// schedule sets the timer for the next event; false when none is left.
func (p *playback) schedule() bool {
	d, ok := p.wait()
	if !ok {
		return false
	}
	p.due = time.Now().Add(d)
	p.timer.Reset(d)
	return true
}

// advance plays the frame now due, unless paused, and sets the timer for
// the next one.
func (p *playback) advance() error {
	if p.paused {
		return nil
	}
	var err error
	if p.more, err = playFrame(p.ctx, p.bw, p.step, p.wait, &p.due); err != nil {
		return err
	}
	if p.more {
		p.timer.Reset(time.Until(p.due))
	}
	return nil
}

// step writes the next event's output; false at the recording's end.
func (p *playback) step() (bool, error) {
	ev, err := p.tl.Next()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ev.Kind == recording.Output {
		if _, err := p.bw.Write(ev.Data); err != nil {
			return false, fmt.Errorf("play: write to terminal: %w", err)
		}
	}
	return true, nil
}

// seek redraws the screen at t (kept within the recording) and notes the
// step it falls in.
func (p *playback) seek(t time.Duration) error {
	if err := flushPlay(p.bw); err != nil {
		return err
	}
	t = min(max(t, 0), p.rec.Duration)
	if err := p.tl.Seek(p.ctx, t); err != nil {
		return err
	}
	if err := Paint(p.bw, p.tl.View()); err != nil {
		return err
	}
	if err := flushPlay(p.bw); err != nil {
		return err
	}
	if i := ChapterAt(p.chapters, t); i >= 0 {
		p.status(fmt.Sprintf("step %d %s", p.chapters[i].N, p.chapters[i].Name))
	}
	return nil
}

// pause stops play, if it goes on.
func (p *playback) pause() {
	if !p.paused {
		p.paused = true
		p.timer.Stop()
	}
}

// handleKey does what key k asks; quit reports that play ends here.
func (p *playback) handleKey(k int) (quit bool, err error) {
	switch k {
	case keyQuery:
		return false, p.query(<-p.queries)
	case keyNextMatch:
		return false, p.nextMatch(1)
	case keyPrevMatch:
		return false, p.nextMatch(-1)
	case keyQuit:
		return true, nil
	case keyInterrupt:
		return true, ErrInterrupted
	case keyPause:
		return false, p.togglePause()
	case keyFrame:
		return false, p.frame()
	case keyFaster, keySlower:
		p.changeSpeed(k == keyFaster)
	case keyForward, keyBack, keyNextStep, keyPrevStep:
		return false, p.jump(k)
	}
	return false, nil
}

// query follows the search being typed: its prompt while typing, then on
// Enter the first match from here, or on cancel the screen as it was.
func (p *playback) query(q query) error {
	if !q.done && !q.cancel {
		p.pause()
		if err := promptLine(p.bw, p.tl.View(), "/"+q.text); err != nil {
			return err
		}
		p.prompted = true
		p.status("/" + q.text)
		return nil
	}
	if q.cancel || q.text == "" {
		// The prompt goes: the screen as it was.
		if err := p.seek(p.tl.Time()); err != nil {
			return err
		}
		p.prompted = false
		p.status("paused")
		return nil
	}
	n, err := p.find.search(p.ctx, q.text)
	if err != nil {
		return err
	}
	if n == 0 {
		msg := fmt.Sprintf("/%s: not found (paused)", q.text)
		if err := promptLine(p.bw, p.tl.View(), msg); err != nil {
			return err
		}
		p.status(msg)
		return nil
	}
	l, _ := p.find.next(p.tl.Time(), 1)
	return p.showMatch(l)
}

// nextMatch pauses on the search's next match in direction dir (1 or -1).
func (p *playback) nextMatch(dir int) error {
	l, ok := p.find.next(p.tl.Time(), dir)
	if !ok {
		p.status("no search: / searches")
		return nil
	}
	p.pause()
	return p.showMatch(l)
}

// showMatch shows the screen a match was printed to, its line at the
// bottom as less shows it.
func (p *playback) showMatch(l TextLine) error {
	if err := p.seek(l.At); err != nil {
		return err
	}
	msg := p.find.status(l)
	p.status(msg)
	p.prompted = true
	return promptLine(p.bw, p.tl.View(), msg)
}

// togglePause pauses or resumes; resuming first clears the search's line.
func (p *playback) togglePause() error {
	p.paused = !p.paused
	if p.paused {
		p.timer.Stop()
		if err := flushPlay(p.bw); err != nil {
			return err
		}
		p.status("paused")
		return nil
	}
	if p.prompted {
		// The search's line goes before play goes on.
		if err := p.seek(p.tl.Time()); err != nil {
			return err
		}
		p.prompted = false
	}
	p.status("playing")
	p.more = p.schedule()
	return nil
}

// frame shows the next event while paused.
func (p *playback) frame() error {
	if !p.paused {
		return nil
	}
	if _, err := p.step(); err != nil {
		return err
	}
	return flushPlay(p.bw)
}

// changeSpeed doubles or halves the pace, within 1/16x to 64x.
func (p *playback) changeSpeed(faster bool) {
	if faster {
		p.speed = min(p.speed*2, 64)
	} else {
		p.speed = max(p.speed/2, 1.0/16)
	}
	p.bw.Flush()
	p.status(fmt.Sprintf("speed %gx", p.speed))
	if !p.paused {
		p.more = p.schedule()
	}
}

// jump seeks as a seek key k asks: by SeekStep or to a step's start.
func (p *playback) jump(k int) error {
	if err := p.seek(p.jumpTarget(k)); err != nil {
		return err
	}
	if !p.paused {
		p.more = p.schedule()
	}
	return nil
}

// jumpTarget is the time seek key k goes to from the time now shown.
func (p *playback) jumpTarget(k int) time.Duration {
	now := p.tl.Time()
	switch k {
	case keyForward:
		return now + SeekStep
	case keyBack:
		return now - SeekStep
	case keyNextStep:
		for _, c := range p.chapters {
			if c.Start > now {
				return c.Start
			}
		}
	case keyPrevStep:
		i := ChapterAt(p.chapters, now)
		// Just after a step's start, go to the one before.
		if i >= 0 && now-p.chapters[i].Start < time.Second {
			i--
		}
		if i >= 0 {
			return p.chapters[i].Start
		}
		return 0
	}
	return now
}

// promptLine writes text on the screen's bottom row, in reverse video, as
// less shows its prompt; the cursor and the attributes stay as they were.
func promptLine(bw *bufio.Writer, s screen.Emulator, text string) error {
	cols, rows := s.Size()
	if r := []rune(text); len(r) > cols-1 {
		text = string(r[:max(cols-2, 0)]) + "…"
	}
	fmt.Fprintf(bw, "\x1b7\x1b[%d;1H\x1b[0;7m%s\x1b[0m\x1b[K\x1b8", rows, text)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("play: write to terminal: %w", err)
	}
	return nil
}

// frame is how often play draws: every event due within one frame goes
// out in one write, so the pace is not bound by a timer per event (300,000
// events at --speed 1000 play in 0.3 s, not a minute).
const frame = time.Second / 60

// playFrame shows the event due now and every later one due within the
// next frame, in one write. due is the moment the event now shown was
// due; it becomes that of the next event, each one's wait added to the
// last one's (so falling behind catches up instead of drifting). It
// reports whether events remain.
func playFrame(ctx context.Context, bw *bufio.Writer, step func() (bool, error), wait func() (time.Duration, bool), due *time.Time) (bool, error) {
	horizon := time.Now().Add(frame)
	for n := 0; ; n++ {
		if n%checkEvery == checkEvery-1 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		if _, err := step(); err != nil {
			return false, err
		}
		d, ok := wait()
		if !ok {
			return false, flushPlay(bw)
		}
		*due = due.Add(d)
		if due.After(horizon) {
			return true, flushPlay(bw)
		}
	}
}

// flushPlay flushes what play wrote, saying so if the terminal failed.
func flushPlay(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("play: write to terminal: %w", err)
	}
	return nil
}

// Paint draws a whole screen on a terminal: cleared, every row at its
// place with its colours, then the cursor where it was.
func Paint(w io.Writer, s screen.Emulator) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\x1b[0m\x1b[H\x1b[2J")
	_, rows := s.Size()
	var row bytes.Buffer
	for y := 0; y < rows; y++ {
		row.Reset()
		renderANSIRow(&row, s, y)
		if row.Len() > 0 {
			fmt.Fprintf(bw, "\x1b[%d;1H", y+1)
			bw.Write(row.Bytes())
		}
	}
	x, y, visible := s.Cursor()
	fmt.Fprintf(bw, "\x1b[0m\x1b[%d;%dH", y+1, x+1)
	if visible {
		bw.WriteString("\x1b[?25h")
	} else {
		bw.WriteString("\x1b[?25l")
	}
	return bw.Flush()
}
