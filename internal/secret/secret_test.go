package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// Every form a secret may take is masked whole and when cut anywhere.
func TestStreamMasksAnyCut(t *testing.T) {
	for _, v := range []string{"Sup3rS3cretXYZ", "k9Z", "it's \"$HOME\" \\ ü\nnext", strings.Repeat("p4ss", 50)} {
		set := New(v)
		rng := rand.New(rand.NewSource(int64(len(v))))
		for _, f := range Forms(v) {
			text := []byte("before " + f + " after")
			var got bytes.Buffer
			st := NewStream(set)
			for rest := text; len(rest) > 0; {
				n := 1 + rng.Intn(len(rest))
				st.Write(rest[:n], func(b []byte) { got.Write(b) })
				rest = rest[n:]
			}
			st.Flush(func(b []byte) { got.Write(b) })
			if got.String() != "before "+Mask+" after" {
				t.Errorf("%q as %q: got %q", v, f, got.String())
			}
		}
	}
}

// Base64 of a text holding the secret, at any offset, holds no base64 of
// the secret once masked.
func TestBase64AnyAlignment(t *testing.T) {
	v := "Sup3rS3cretXYZ"
	set := New(v)
	for pre := 0; pre < 6; pre++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pre) + v + "tail"))
		if !strings.Contains(set.MaskString(enc), Mask) {
			t.Errorf("offset %d: %s not masked", pre, enc)
		}
	}
}

// MaskJSON leaves keys and structure alone, even for a one-letter secret.
func TestMaskJSON(t *testing.T) {
	doc := []byte(`{"version": 1, "started_at": "2026-12-04T15:37:17.99150751Z", "steps": [{"name": "e", "text": "echo e=e"}], "e": "x"}`)
	got := New("e", "5075").MaskJSON(doc)
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if v["version"] != 1.0 || !bytes.Contains(got, []byte(`"****cho ****=****"`)) || !bytes.Contains(got, []byte(`"e": "x"`)) || !bytes.Contains(got, []byte(`"2026-12-04T15:37:17.99150751Z"`)) {
		t.Errorf("got %s", got)
	}
}
