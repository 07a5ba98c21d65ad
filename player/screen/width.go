package screen

import "sort"

type runeRange struct{ lo, hi rune }

func inTable(r rune, t []runeRange) bool {
	i := sort.Search(len(t), func(i int) bool { return t[i].hi >= r })
	return i < len(t) && t[i].lo <= r
}

// RuneWidth returns the cells r takes: 0 (combining), 1 or 2, as glibc's
// wcwidth (and so tmux) measures it. Control characters return 0.
func RuneWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0xa0:
		if r >= 0x80 {
			return 0
		}
		return 1
	case inTable(r, zeroWidth):
		return 0
	case inTable(r, doubleWidth):
		return 2
	}
	return 1
}
