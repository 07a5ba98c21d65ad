package stdlib

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Answers reads sh()'s answers= option, {["Are you sure"] = "YES",
// ["passphrase"] = params.luks}, for RunOptions.Answers. An answer that
// holds a secret value is marked Secret, so the engine never records or
// shows it. Prompts are sorted, longest first, so that a prompt that
// contains another wins: the order is the same on every run.
func Answers(t *lua.LTable, secrets []string) ([]Answer, error) {
	var out []Answer
	var err error
	t.ForEach(func(k, v lua.LValue) {
		ks, ok1 := k.(lua.LString)
		vs, ok2 := v.(lua.LString)
		if !ok1 || !ok2 || ks == "" {
			if err == nil {
				err = fmt.Errorf("answers: each entry must be [\"prompt text\"] = \"reply\", got [%s] = %s", k.Type(), v.Type())
			}
			return
		}
		a := Answer{Prompt: string(ks), Reply: string(vs)}
		for _, s := range secrets {
			if s != "" && strings.Contains(a.Reply, s) {
				a.Secret = true
			}
		}
		out = append(out, a)
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Prompt) != len(out[j].Prompt) {
			return len(out[i].Prompt) > len(out[j].Prompt)
		}
		return out[i].Prompt < out[j].Prompt
	})
	return out, nil
}
