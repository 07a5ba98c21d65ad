package prompt

import (
	"context"
	"unicode/utf8"
)

// key is one decoded keystroke.
type key struct {
	r    rune   // the character, for a printable key or a control byte
	name string // for special keys: "left", "right", "home", "end", "delete", "up", "down", "esc"
}

// Control bytes as raw mode delivers them.
const (
	ctrlA     = 0x01
	ctrlB     = 0x02
	ctrlC     = 0x03
	ctrlD     = 0x04
	ctrlE     = 0x05
	ctrlF     = 0x06
	ctrlH     = 0x08
	ctrlK     = 0x0b
	ctrlU     = 0x15
	ctrlW     = 0x17
	esc       = 0x1b
	del       = 0x7f
	ctrlClose = 0x1d // Ctrl-]
)

// readKey reads one keystroke; bytes after it stay queued for the next read.
func (t *Terminal) readKey(ctx context.Context) (key, error) {
	buf := make([]byte, 64)
	n, err := t.Read(ctx, buf)
	if err != nil {
		return key{}, err
	}
	b := buf[:n]
	k, used := decodeKey(b)
	t.Unread(b[used:])
	return k, nil
}

// decodeKey decodes the first key in b (len(b) > 0) and says how many
// bytes it took. Escape sequences cut by a read boundary decode as a lone
// Esc followed by characters, which is harmless here.
func decodeKey(b []byte) (key, int) {
	if b[0] != esc {
		r, size := utf8.DecodeRune(b)
		return key{r: r}, size
	}
	if len(b) == 1 {
		return key{name: "esc"}, 1
	}
	switch b[1] {
	case 'O': // SS3: ESC O x
		if len(b) < 3 {
			return key{name: "esc"}, 1
		}
		return key{name: ss3Names[b[2]]}, 3
	case '[': // CSI: ESC [ params final
		i := 2
		for i < len(b) && b[i] >= 0x30 && b[i] <= 0x3f {
			i++
		}
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2f {
			i++
		}
		if i >= len(b) {
			return key{name: "esc"}, len(b) // a cut sequence: swallow it
		}
		params, final := string(b[2:i]), b[i]
		name := csiNames[final]
		if final == '~' {
			name = tildeNames[params]
		}
		return key{name: name}, i + 1
	}
	return key{name: "esc"}, 1
}

var ss3Names = map[byte]string{'A': "up", 'B': "down", 'C': "right", 'D': "left", 'H': "home", 'F': "end"}
var csiNames = map[byte]string{'A': "up", 'B': "down", 'C': "right", 'D': "left", 'H': "home", 'F': "end"}
var tildeNames = map[string]string{"1": "home", "7": "home", "4": "end", "8": "end", "3": "delete"}
