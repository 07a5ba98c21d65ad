package stdlib

import (
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Reading a Lua options table: a misspelt or mistyped option is an error
// naming the operation and the option, not something silently ignored.

// opts is an operation's options table (possibly empty).
type opts struct {
	o *op
	t *lua.LTable
}

// options reads argument n as an options table allowing only the given
// keys (notify is always allowed).
func (o *op) options(n int, allowed ...string) opts {
	v := o.L.Get(n)
	switch v.Type() {
	case lua.LTNil:
		return opts{o, o.L.NewTable()}
	case lua.LTTable:
	default:
		o.fail("argument #%d must be an options table, got %s", n, v.Type())
	}
	t := v.(*lua.LTable)
	allowed = append(allowed, "notify")
	t.ForEach(func(k, _ lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok || !contains(allowed, string(ks)) {
			sort.Strings(allowed)
			o.fail("unknown option %s (known: %s)", k.String(), strings.Join(allowed, ", "))
		}
	})
	return opts{o, t}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p opts) has(key string) bool { return p.t.RawGetString(key) != lua.LNil }

func (p opts) str(key, def string) string {
	switch v := p.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		p.o.fail("option %s must be a string, got %s", key, v.Type())
	}
	return def
}

func (p opts) boolean(key string, def bool) bool {
	switch v := p.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LBool:
		return bool(v)
	default:
		p.o.fail("option %s must be true or false, got %s", key, v.Type())
	}
	return def
}

func (p opts) number(key string, def float64) float64 {
	switch v := p.t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	default:
		p.o.fail("option %s must be a number, got %s", key, v.Type())
	}
	return def
}

// oneOf reads a string option that must be one of the given values.
func (p opts) oneOf(key string, values ...string) string {
	s := p.str(key, values[0])
	if !contains(values, s) {
		p.o.fail("option %s must be one of %s, got %q", key, strings.Join(values, ", "), s)
	}
	return s
}

// mode reads a file mode: "0644", "644" or 644 (digits read as octal, as
// a person writes them), -1 when absent.
func (p opts) mode(key string) int {
	v := p.t.RawGetString(key)
	if v == lua.LNil {
		return -1
	}
	s := v.String()
	if v.Type() != lua.LTString && v.Type() != lua.LTNumber {
		p.o.fail("option %s must be an octal mode like \"0644\", got %s", key, v.Type())
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 07777 {
		p.o.fail("option %s must be an octal mode like \"0644\", got %s", key, s)
	}
	return int(n)
}

// strings reads an option that is a string or a list of strings.
func (p opts) strings(key string) []string {
	return p.o.stringList(p.t.RawGetString(key), "option "+key)
}

// stringList reads a string or a list of strings (package names).
func (o *op) stringList(v lua.LValue, what string) []string {
	switch v := v.(type) {
	case *lua.LNilType:
		return nil
	case lua.LString:
		return strings.Fields(string(v))
	case *lua.LTable:
		var out []string
		for i := 1; i <= v.Len(); i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				o.fail("%s: item %d must be a string, got %s", what, i, v.RawGetInt(i).Type())
			}
			out = append(out, string(s))
		}
		return out
	default:
		o.fail("%s must be a string or a list of strings, got %s", what, v.Type())
	}
	return nil
}

// checkString reads argument n, which must be a non-empty string.
func (o *op) checkString(n int, what string) string {
	v := o.L.Get(n)
	s, ok := v.(lua.LString)
	if !ok {
		o.fail("%s must be a string, got %s", what, v.Type())
	}
	if s == "" {
		o.fail("%s must not be empty", what)
	}
	return string(s)
}
