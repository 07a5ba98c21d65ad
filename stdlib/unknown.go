package stdlib

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// guardModule gives a module table a metatable whose __index raises for a
// name the module does not have, naming the closest one it does:
// "file.lines is not a function of module file; did you mean file.line?".
// A misspelt call then fails where it is written, in a run and in
// `runbook steps` alike, instead of as "attempt to call a nil value".
func guardModule(L *lua.LState, name string, tb *lua.LTable) {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2)
		var names []string
		tb.ForEach(func(k, _ lua.LValue) { names = append(names, k.String()) })
		msg := name + "." + key.String() + " is not a function of module " + name
		if s := Closest(key.String(), names); s != "" {
			msg += "; did you mean " + name + "." + s + "?"
		} else {
			sort.Strings(names)
			msg += " (it has: " + strings.Join(names, ", ") + ")"
		}
		L.RaiseError("%s", msg)
		return 0
	}))
	L.SetMetatable(tb, mt)
}

// Closest is the name nearest to s by edit distance, "" when none is
// near enough to be a likely typo (at most a third of its length off).
func Closest(s string, names []string) string {
	best, bestD := "", len(s)/3+1
	sort.Strings(names)
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is Levenshtein's distance between a and b (in bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
