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
	speed := opt.Speed
	if speed <= 0 {
		speed = 1
	}
	idle := opt.IdleLimit
	if idle == 0 {
		idle = rec.Header.IdleLimit
		if idle == 0 && rec.Index != nil {
			idle = rec.Index.IdleLimit.Duration()
		}
	}
	status := opt.Status
	if status == nil {
		status = func(string) {}
	}
	var keys chan int
	var queries chan query
	if opt.Keys != nil {
		keys, queries = make(chan int, 16), make(chan query, 16)
		go parseKeys(opt.Keys, keys, queries)
	}
	find := &searcher{rec: rec, cur: -1}
	prompted := false // the bottom row shows the search's line
	tl, err := rec.TimelineWith(opt.Emulator)
	if err != nil {
		return err
	}
	chapters := rec.Chapters()
	if opt.From > 0 {
		if err := tl.Seek(ctx, opt.From); err != nil {
			return err
		}
		if err := Paint(out, tl.View()); err != nil {
			return err
		}
	}
	// What is shown is written through a buffer flushed once a frame:
	// events that fall within one display frame go out together.
	bw := bufio.NewWriterSize(out, 64<<10)
	out = bw
	paused := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	// due is the wall-clock moment the next event should show.
	var due time.Time
	// wait is how long after the event now shown the next one is due.
	wait := func() (time.Duration, bool) {
		next, ok := tl.NextTime()
		if !ok {
			return 0, false
		}
		gap := next - tl.Time()
		if idle > 0 && gap > idle {
			gap = idle
		}
		return time.Duration(float64(max(gap, 0)) / speed), true
	}
	schedule := func() bool {
		d, ok := wait()
		if !ok {
			return false
		}
		due = time.Now().Add(d)
		timer.Reset(d)
		return true
	}
	seek := func(t time.Duration) error {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("play: write to terminal: %w", err)
		}
		t = min(max(t, 0), rec.Duration)
		if err := tl.Seek(ctx, t); err != nil {
			return err
		}
		if err := Paint(out, tl.View()); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("play: write to terminal: %w", err)
		}
		if i := ChapterAt(chapters, t); i >= 0 {
			status(fmt.Sprintf("step %d %s", chapters[i].N, chapters[i].Name))
		}
		return nil
	}
	step := func() (bool, error) {
		ev, err := tl.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if ev.Kind == recording.Output {
			if _, err := out.Write(ev.Data); err != nil {
				return false, fmt.Errorf("play: write to terminal: %w", err)
			}
		}
		return true, nil
	}
	// showMatch shows the screen a match was printed to, its line at
	// the bottom as less shows it.
	showMatch := func(l TextLine) error {
		if err := seek(l.At); err != nil {
			return err
		}
		msg := find.status(l)
		status(msg)
		prompted = true
		return promptLine(bw, tl.View(), msg)
	}
	more := schedule()
	for more || paused {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			if paused {
				continue
			}
			var err error
			if more, err = playFrame(ctx, bw, step, wait, &due); err != nil {
				return err
			}
			if more {
				timer.Reset(time.Until(due))
			}
		case k, ok := <-keys:
			if !ok {
				keys = nil
				continue
			}
			switch k {
			case keyQuery:
				q := <-queries
				if !q.done && !q.cancel {
					if !paused {
						paused = true
						timer.Stop()
					}
					if err := promptLine(bw, tl.View(), "/"+q.text); err != nil {
						return err
					}
					prompted = true
					status("/" + q.text)
					continue
				}
				if q.cancel || q.text == "" {
					// The prompt goes: the screen as it was.
					if err := seek(tl.Time()); err != nil {
						return err
					}
					prompted = false
					status("paused")
					continue
				}
				n, err := find.search(ctx, q.text)
				if err != nil {
					return err
				}
				if n == 0 {
					msg := fmt.Sprintf("/%s: not found (paused)", q.text)
					if err := promptLine(bw, tl.View(), msg); err != nil {
						return err
					}
					status(msg)
					continue
				}
				l, _ := find.next(tl.Time(), 1)
				if err := showMatch(l); err != nil {
					return err
				}
			case keyNextMatch, keyPrevMatch:
				dir := 1
				if k == keyPrevMatch {
					dir = -1
				}
				l, ok := find.next(tl.Time(), dir)
				if !ok {
					status("no search: / searches")
					continue
				}
				if !paused {
					paused = true
					timer.Stop()
				}
				if err := showMatch(l); err != nil {
					return err
				}
			case keyQuit:
				return nil
			case keyInterrupt:
				return ErrInterrupted
			case keyPause:
				paused = !paused
				if paused {
					timer.Stop()
					if err := bw.Flush(); err != nil {
						return fmt.Errorf("play: write to terminal: %w", err)
					}
					status("paused")
				} else {
					if prompted {
						// The search's line goes before play goes on.
						if err := seek(tl.Time()); err != nil {
							return err
						}
						prompted = false
					}
					status("playing")
					more = schedule()
				}
			case keyFrame:
				if paused {
					if _, err := step(); err != nil {
						return err
					}
					if err := bw.Flush(); err != nil {
						return fmt.Errorf("play: write to terminal: %w", err)
					}
				}
			case keyFaster, keySlower:
				if k == keyFaster {
					speed = min(speed*2, 64)
				} else {
					speed = max(speed/2, 1.0/16)
				}
				bw.Flush()
				status(fmt.Sprintf("speed %gx", speed))
				if !paused {
					more = schedule()
				}
			case keyForward, keyBack, keyNextStep, keyPrevStep:
				target := tl.Time()
				switch k {
				case keyForward:
					target += SeekStep
				case keyBack:
					target -= SeekStep
				case keyNextStep:
					for _, c := range chapters {
						if c.Start > tl.Time() {
							target = c.Start
							break
						}
					}
				case keyPrevStep:
					i := ChapterAt(chapters, tl.Time())
					// Just after a step's start, go to the one before.
					if i >= 0 && tl.Time()-chapters[i].Start < time.Second {
						i--
					}
					if i >= 0 {
						target = chapters[i].Start
					} else {
						target = 0
					}
				}
				if err := seek(target); err != nil {
					return err
				}
				if !paused {
					more = schedule()
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("play: write to terminal: %w", err)
	}
	return nil
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
