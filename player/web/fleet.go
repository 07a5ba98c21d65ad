package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
)

//go:embed assets/fleet.html assets/fleet.css assets/fleet.js
var fleetAssets embed.FS

var fleetTmpl = template.Must(template.New("fleet.html").ParseFS(fleetAssets, "assets/fleet.html"))

// Fleet is a run over several hosts as one page: a host picker, and each
// host's recording playable in the page's own player.
type Fleet struct {
	Title     string // "site on 20 hosts"
	StartedAt string // RFC 3339, or ""
	Tally     string // "1 failed, 19 ok"
	// Hosts in the order the picker lists them (failed hosts first).
	Hosts []FleetHost
}

// FleetHost is one host of a fleet page.
type FleetHost struct {
	Name   string
	Status string // ok, failed, unreachable, lost, interrupted
	Reason string // why it did not finish
	// Movie loads the host's recording when the page is written, one host
	// at a time (nil: the host has no recording).
	Movie func() (*Movie, error)
}

// Markers stand for the player's CSS and script in each host's page: the
// fleet page holds them once and puts them back when a host is picked.
const (
	fleetCSSMark = "/*@runbook-fleet-css@*/"
	fleetJSMark  = "/*@runbook-fleet-js@*/"
)

// WriteFleetPage writes f as one self-contained page. Each host's page
// (the page WritePage writes, without the player's CSS and script, which
// the fleet page holds once) is stored gzip-compressed and decompressed
// only when a reader picks that host, so the page opens at once whatever
// the number of hosts. Failed hosts come first; the first host with a
// recording is shown, or the one the address names (#host=NAME).
func WriteFleetPage(w io.Writer, f *Fleet) error {
	css, err := assets.ReadFile("assets/page.css")
	if err != nil {
		return err
	}
	js, err := assets.ReadFile("assets/page.js")
	if err != nil {
		return err
	}
	shared, err := gzipBase64(func(zw io.Writer) error {
		return json.NewEncoder(zw).Encode(map[string]string{"css": string(css), "js": string(js)})
	})
	if err != nil {
		return err
	}
	fcss, err := fleetAssets.ReadFile("assets/fleet.css")
	if err != nil {
		return err
	}
	fjs, err := fleetAssets.ReadFile("assets/fleet.js")
	if err != nil {
		return err
	}
	type host struct {
		FleetHost
		Failed, Playable bool
	}
	v := struct {
		Title, StartedAt, Tally string
		N                       int
		Hosts                   []host
		CSS                     template.CSS
		JS                      template.JS
		Shared                  string
	}{Title: f.Title, StartedAt: f.StartedAt, Tally: f.Tally, N: len(f.Hosts),
		CSS: template.CSS(fcss), JS: template.JS(fjs), Shared: shared}
	for _, h := range f.Hosts {
		v.Hosts = append(v.Hosts, host{FleetHost: h, Failed: h.Status != "ok", Playable: h.Movie != nil})
	}
	if err := fleetTmpl.ExecuteTemplate(w, "head", v); err != nil {
		return fmt.Errorf("write fleet page: %w", err)
	}
	for _, h := range f.Hosts {
		if h.Movie == nil {
			continue
		}
		m, err := h.Movie()
		if err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		var page bytes.Buffer
		if err := WritePage(&page, m); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		b := page.Bytes()
		// The player's CSS and script, once in the fleet page, not in
		// every host's.
		if bytes.Count(b, css) == 1 && bytes.Count(b, js) == 1 {
			b = bytes.Replace(b, css, []byte(fleetCSSMark), 1)
			b = bytes.Replace(b, js, []byte(fleetJSMark), 1)
		}
		data, err := gzipBase64(func(zw io.Writer) error { _, err := zw.Write(b); return err })
		if err != nil {
			return err
		}
		if err := fleetTmpl.ExecuteTemplate(w, "host", struct{ Name, Data string }{h.Name, data}); err != nil {
			return fmt.Errorf("write fleet page: %w", err)
		}
	}
	if err := fleetTmpl.ExecuteTemplate(w, "tail", v); err != nil {
		return fmt.Errorf("write fleet page: %w", err)
	}
	return nil
}

// gzipBase64 is what write writes, gzip-compressed, in unpadded URL-safe
// base64: the form the pages embed (see packData).
func gzipBase64(write func(io.Writer) error) (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if err := write(zw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}
