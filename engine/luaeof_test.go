package engine

import "testing"

func TestUnclosed(t *testing.T) {
	cases := []struct{ src, want string }{
		{"step(\"a\", function()\n  sh(\n", "sh( is not closed (line 2)"},
		{"step(\"a\", function()\n  sh(\"echo )\")\n", "function of line 1 has no end"},
		{"x = { a = [[ ) } ]] , -- ) }\n", "{ is not closed (line 1)"},
		{"--[[ function ( ]]\nfile.line(\"x\",\n", "file.line( is not closed (line 2)"},
		{"if a then\n elseif b then\n x()\n", "if of line 1 has no end"},
		{"repeat\n x = 1\n", "repeat of line 1 has no until"},
		{"s = 'abc\n", "a string is not closed (line 1)"},
		{"s = [==[ abc ]]\n", "a [[ string is not closed (line 1)"},
		{"t.end_time = f(x)\nfor i = 1, 3 do\n", "do of line 2 has no end"},
		{"x = 1\n", ""},
	}
	for _, c := range cases {
		if got := unclosed(c.src); got != c.want {
			t.Errorf("%q: %q, want %q", c.src, got, c.want)
		}
	}
}
