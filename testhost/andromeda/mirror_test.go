package andromeda

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func TestReadMirrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  mirrors
		err   bool
	}{
		{"deb822", map[string]string{"sources.list.d/debian.sources": `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`}, mirrors{"http://mirror.example/debian", "http://mirror.example/debian-security"}, false},
		{"one-line with options and comments", map[string]string{"sources.list": `# a comment
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian/ bookworm main # trailing
deb http://s.example/debian-security bookworm-security main
`}, mirrors{"http://m.example/debian", "http://s.example/debian-security"}, false},
		{"disabled entries are skipped", map[string]string{"sources.list.d/x.sources": `Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

Types: deb
URIs: https://on.example/debian
Suites: bookworm
`}, mirrors{"https://on.example/debian", ""}, false},
		{"no archive", map[string]string{"sources.list": "deb cdrom:[Debian]/ bookworm main\n"}, mirrors{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755)
			for f, c := range tc.files {
				os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644)
			}
			got, err := readMirrors(dir)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !tc.err && got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The proxy forwards to the mirror and refuses anything else, before
// sending a byte anywhere.
func TestAptProxyOnlyReachesTheMirror(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Packages of "+r.URL.Path)
	}))
	defer mirror.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the proxy reached a host that is not the mirror: %s", r.URL)
	}))
	defer other.Close()
	mu, _ := url.Parse(mirror.URL)
	proxy := httptest.NewServer(newAptProxy([]string{mu.Host}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}

	resp, err := client.Get(mirror.URL + "/debian/dists/bookworm/main")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Packages of /debian/dists/bookworm/main" {
		t.Fatalf("through the proxy to the mirror: %d %q", resp.StatusCode, body)
	}
	resp, err = client.Get(other.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("to another host: %d, want 403", resp.StatusCode)
	}
}
