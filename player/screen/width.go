package screen

import (
	"sort"
	"sync"
)

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
	case r < 0x10000:
		p := r >> widthPageBits
		widthOnce[p].Do(func() { makeWidthPage(p) })
		return int(bmpWidths[r])
	}
	return tableWidth(r)
}

// tableWidth is RuneWidth of r ≥ 0xa0 from the tables.
func tableWidth(r rune) int {
	switch {
	case inTable(r, zeroWidth):
		return 0
	case inTable(r, doubleWidth):
		return 2
	}
	return 1
}

// bmpWidths holds tableWidth of every rune below 0x10000, each page of
// 1024 made on the first rune of it: a lookup where two binary searches
// were, for the cost of one search per rune of a page the first time.
const widthPageBits = 10

var (
	widthOnce [0x10000 >> widthPageBits]sync.Once
	bmpWidths [0x10000]uint8
)

func makeWidthPage(p rune) {
	for r := p << widthPageBits; r < (p+1)<<widthPageBits; r++ {
		bmpWidths[r] = uint8(tableWidth(r))
	}
}
