// Package linediff computes the shortest edit script between two lists of
// lines (Myers' O(ND) algorithm, bounded): the stdlib's unified diffs,
// check's diffs of screens and draft's hunks of a file edited by hand are
// all made from it. Standard library only.
package linediff

// Edit is one line of an edit script: Kind ' ' kept, '-' removed, '+' added.
type Edit struct {
	Kind byte
	Text string
}

// Hunk is a changed stretch: A[A0:A1] became B[B0:B1].
type Hunk struct{ A0, A1, B0, B1 int }

// MaxEdits bounds the Myers search; past it the differing middle is given
// as all removed then all added, which is still a correct script.
const MaxEdits = 2000

// Lines returns an edit script turning a into b: common head and tail
// first (an edit in a long file is cheap), Myers in between.
func Lines(a, b []string) []Edit {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	out := make([]Edit, 0, len(a)+len(b)-p-s)
	for _, l := range a[:p] {
		out = append(out, Edit{' ', l})
	}
	out = append(out, myers(a[p:len(a)-s], b[p:len(b)-s])...)
	for _, l := range a[len(a)-s:] {
		out = append(out, Edit{' ', l})
	}
	return out
}

// Hunks returns the changed stretches of the edit script from a to b, in
// order.
func Hunks(a, b []string) []Hunk {
	var out []Hunk
	i, j := 0, 0
	open := false
	for _, e := range Lines(a, b) {
		if e.Kind == ' ' {
			open = false
			i++
			j++
			continue
		}
		if !open {
			out = append(out, Hunk{i, i, j, j})
			open = true
		}
		h := &out[len(out)-1]
		if e.Kind == '-' {
			i++
			h.A1 = i
		} else {
			j++
			h.B1 = j
		}
	}
	return out
}

// myers returns a shortest edit script turning a into b, or all of a
// removed then all of b added past MaxEdits.
func myers(a, b []string) []Edit {
	if len(a) == 0 || len(b) == 0 {
		return replaceAll(a, b)
	}
	trace, found := myersTrace(a, b)
	if found < 0 {
		return replaceAll(a, b)
	}
	return myersBacktrack(a, b, trace, found)
}

// replaceAll is the edit script that removes all of a then adds all of b.
func replaceAll(a, b []string) []Edit {
	out := make([]Edit, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, Edit{'-', l})
	}
	for _, l := range b {
		out = append(out, Edit{'+', l})
	}
	return out
}

// myersTrace runs Myers' forward search, returning for each step d the
// furthest-reaching x of the diagonals -d..d before it (trace[d][k+d]),
// and the number of edits found, or -1 past MaxEdits. Only the diagonals
// a step can reach are kept, so the trace costs O(D²) whatever the
// lengths of a and b.
func myersTrace(a, b []string) (trace [][]int, found int) {
	n, m := len(a), len(b)
	limit := n + m
	off := limit
	v := make([]int, 2*limit+2)
	for d := 0; d <= limit && d <= MaxEdits; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return trace, d
			}
		}
	}
	return trace, -1
}

// myersBacktrack walks trace back from the end to recover the edit script
// of found edits.
func myersBacktrack(a, b []string, trace [][]int, found int) []Edit {
	var rev []Edit
	x, y := len(a), len(b)
	for d := found; d >= 0; d-- {
		v := trace[d] // v[k+d]: diagonal k
		k := x - y
		var pk int
		if k == -d || (k != d && v[k-1+d] < v[k+1+d]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := 0
		if d > 0 {
			px = v[pk+d]
		}
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, Edit{' ', a[x]})
		}
		if d > 0 {
			if x == px {
				y--
				rev = append(rev, Edit{'+', b[y]})
			} else {
				x--
				rev = append(rev, Edit{'-', a[x]})
			}
		}
	}
	out := make([]Edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}
