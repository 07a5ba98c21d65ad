package andromeda

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// mirrors are the Debian archives this machine's apt uses, read at run time
// so that no mirror address is ever written into the repository.
type mirrors struct {
	Archive  string // Debian's archive (suites bookworm, bookworm-updates)
	Security string // the security archive; may be empty
}

// hosts are the host[:port]s andromeda's proxy lets apt reach.
func (m mirrors) hosts() []string {
	var hs []string
	for _, u := range []string{m.Archive, m.Security} {
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			hs = append(hs, p.Host)
		}
	}
	return hs
}

// sourcesList is andromeda's /etc/apt/sources.list for these mirrors.
func (m mirrors) sourcesList() string {
	s := fmt.Sprintf("deb %s bookworm main\ndeb %s bookworm-updates main\n", m.Archive, m.Archive)
	if m.Security != "" {
		s += fmt.Sprintf("deb %s bookworm-security main\n", m.Security)
	}
	return s
}

// readMirrors reads the apt sources under etcApt (normally /etc/apt): the
// one-line format in sources.list and sources.list.d/*.list and the deb822
// format in sources.list.d/*.sources.
func readMirrors(etcApt string) (mirrors, error) {
	var entries []aptSource
	files := []string{filepath.Join(etcApt, "sources.list")}
	more, _ := filepath.Glob(filepath.Join(etcApt, "sources.list.d", "*"))
	files = append(files, more...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(f, ".sources"):
			entries = append(entries, parseDeb822(string(b))...)
		case strings.HasSuffix(f, ".list"):
			entries = append(entries, parseOneLine(string(b))...)
		}
	}
	var m mirrors
	for _, e := range entries {
		if !strings.HasPrefix(e.uri, "http://") && !strings.HasPrefix(e.uri, "https://") {
			continue
		}
		for _, s := range e.suites {
			switch {
			case strings.HasSuffix(s, "-security") && m.Security == "":
				m.Security = strings.TrimSuffix(e.uri, "/")
			case !strings.Contains(s, "-") && m.Archive == "":
				m.Archive = strings.TrimSuffix(e.uri, "/")
			}
		}
	}
	if m.Archive == "" {
		return m, fmt.Errorf("no Debian archive among the apt sources in %s (a deb line or a .sources entry for an http(s) mirror)", etcApt)
	}
	return m, nil
}

type aptSource struct {
	uri    string
	suites []string
}

func parseOneLine(text string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // [signed-by=... arch=...]
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 2 {
			out = append(out, aptSource{uri: f[0], suites: []string{f[1]}})
		}
	}
	return out
}

func parseDeb822(text string) []aptSource {
	var out []aptSource
	for _, para := range strings.Split(text, "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok && !strings.HasPrefix(line, " ") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !strings.Contains(" "+fields["types"]+" ", " deb ") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		suites := strings.Fields(fields["suites"])
		for _, u := range strings.Fields(fields["uris"]) {
			out = append(out, aptSource{uri: u, suites: suites})
		}
	}
	return out
}
