package prompt

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// editPrompt leads the inline editor's line.
const editPrompt = "edit> "

// editInline edits cmd on the prompt's own line, readline style: arrows,
// Home/End, Ctrl-A/E/B/F, Backspace, Delete, Ctrl-U/K/W. Enter accepts;
// Esc or Ctrl-C gives cmd back unchanged. A newline in cmd shows as ↵
// and stays a newline.
func (p *Prompter) editInline(ctx context.Context, cmd string) (string, error) {
	restore, err := p.T.MakeRaw()
	if err != nil {
		return cmd, err
	}
	defer restore()
	e := lineEditor{buf: []rune(cmd)}
	e.cur = len(e.buf)
	for {
		p.T.out.Write([]byte(e.render()))
		k, err := p.T.readKey(ctx)
		if err != nil {
			return cmd, err
		}
		switch e.key(k) {
		case editAccept:
			p.T.crlf("\n")
			out := string(e.buf)
			if strings.TrimSpace(out) == "" {
				p.T.crlf("empty command: unchanged\n")
				return cmd, nil
			}
			return out, nil
		case editCancel:
			p.T.crlf("\n")
			return cmd, nil
		}
	}
}

type editResult int

const (
	editGoOn editResult = iota
	editAccept
	editCancel
)

// lineEditor is the inline editor's state: a rune buffer and a cursor.
type lineEditor struct {
	buf []rune
	cur int
}

// key applies one keystroke.
func (e *lineEditor) key(k key) editResult {
	switch k.name {
	case "left":
		e.move(-1)
	case "right":
		e.move(1)
	case "home":
		e.cur = 0
	case "end":
		e.cur = len(e.buf)
	case "delete":
		e.deleteAt(e.cur)
	case "esc":
		return editCancel
	case "up", "down":
	case "":
		switch k.r {
		case '\r', '\n':
			return editAccept
		case ctrlC:
			return editCancel
		case ctrlA:
			e.cur = 0
		case ctrlE:
			e.cur = len(e.buf)
		case ctrlB:
			e.move(-1)
		case ctrlF:
			e.move(1)
		case ctrlD:
			e.deleteAt(e.cur)
		case del, ctrlH:
			if e.cur > 0 {
				e.cur--
				e.deleteAt(e.cur)
			}
		case ctrlU:
			e.buf = append([]rune(nil), e.buf[e.cur:]...)
			e.cur = 0
		case ctrlK:
			e.buf = e.buf[:e.cur]
		case ctrlW:
			i := e.cur
			for i > 0 && unicode.IsSpace(e.buf[i-1]) {
				i--
			}
			for i > 0 && !unicode.IsSpace(e.buf[i-1]) {
				i--
			}
			e.buf = append(e.buf[:i:i], e.buf[e.cur:]...)
			e.cur = i
		default:
			if unicode.IsPrint(k.r) {
				e.buf = append(e.buf[:e.cur:e.cur], append([]rune{k.r}, e.buf[e.cur:]...)...)
				e.cur++
			}
		}
	}
	return editGoOn
}

func (e *lineEditor) move(d int) {
	e.cur = max(0, min(len(e.buf), e.cur+d))
}

func (e *lineEditor) deleteAt(i int) {
	if i < len(e.buf) {
		e.buf = append(e.buf[:i:i], e.buf[i+1:]...)
	}
}

// render redraws the line and puts the cursor where it belongs.
func (e *lineEditor) render() string {
	shown := strings.ReplaceAll(string(e.buf), "\n", "↵")
	s := "\r\x1b[K" + editPrompt + shown
	if back := len(e.buf) - e.cur; back > 0 {
		s += fmt.Sprintf("\x1b[%dD", back)
	}
	return s
}
