package chromium

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Find returns the path of a Chromium binary on PATH.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (Debian package chromium)")
}

// Browser is a running headless Chromium with its own throwaway profile.
type Browser struct {
	cmd    *exec.Cmd
	c      *client
	dir    string
	stderr *bytes.Buffer
	waited chan struct{}
}

// Start launches headless Chromium with a fresh profile in dir (a
// t.TempDir()), no network access (every host name resolves to nothing),
// and DevTools on a loopback port it picks itself.
func Start(ctx context.Context, dir string) (*Browser, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(profile, 0o700); err != nil {
		return nil, err
	}
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
		"--no-default-browser-check", "--disable-dev-shm-usage",
		// No page may reach the network: every name fails to resolve
		// (a test's own server on 127.0.0.1 stays reachable).
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--user-data-dir=" + profile,
		"--window-size=1280,900",
		"about:blank",
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &lockedWriter{w: &stderr}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	b := &Browser{cmd: cmd, dir: dir, stderr: &stderr, waited: make(chan struct{})}
	go func() { cmd.Wait(); close(b.waited) }()
	wsURL, err := b.devtoolsURL(ctx, profile)
	if err != nil {
		b.kill()
		return nil, err
	}
	ws, err := dialWebsocket(ctx, wsURL)
	if err != nil {
		b.kill()
		return nil, err
	}
	b.c = newClient(ws)
	return b, nil
}

// devtoolsURL waits for Chromium to write DevToolsActivePort in its profile.
func (b *Browser) devtoolsURL(ctx context.Context, profile string) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		data, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) == 2 {
				return "ws://127.0.0.1:" + lines[0] + lines[1], nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("chromium did not open DevTools: %w; its output: %s", ctx.Err(), b.Output())
		case <-b.waited:
			return "", fmt.Errorf("chromium exited at start: %s", b.Output())
		case <-tick.C:
		}
	}
}

// Output returns what Chromium printed so far (for failure messages).
func (b *Browser) Output() string {
	lw := b.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return b.stderr.String()
}

func (b *Browser) kill() {
	b.cmd.Process.Kill()
	<-b.waited
}

// Close ends the browser: politely first, then by signal.
func (b *Browser) Close() error {
	if b.c != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		b.c.call(ctx, "", "Browser.close", nil, nil)
		cancel()
		b.c.ws.Close()
	}
	select {
	case <-b.waited:
	case <-time.After(5 * time.Second):
		b.kill()
	}
	return nil
}

// Page is one tab.
type Page struct {
	b       *Browser
	session string

	mu       sync.Mutex
	requests []string
	console  []string
	loaded   chan struct{}
}

// NewPage opens a blank tab with the network emulated offline, recording
// every request the page makes and everything it logs.
func (b *Browser) NewPage(ctx context.Context, width, height int) (*Page, error) {
	var tgt struct {
		TargetID string `json:"targetId"`
	}
	if err := b.c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &tgt); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: att.SessionID, loaded: make(chan struct{}, 16)}
	b.c.on(p.session, "Network.requestWillBeSent", func(raw json.RawMessage) {
		var ev struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		json.Unmarshal(raw, &ev)
		p.mu.Lock()
		p.requests = append(p.requests, ev.Request.URL)
		p.mu.Unlock()
	})
	b.c.on(p.session, "Runtime.consoleAPICalled", func(raw json.RawMessage) {
		var ev struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(raw, &ev)
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, fmt.Sprint(a.Value))
			}
		}
		p.mu.Lock()
		p.console = append(p.console, ev.Type+": "+strings.Join(parts, " "))
		p.mu.Unlock()
	})
	b.c.on(p.session, "Runtime.exceptionThrown", func(raw json.RawMessage) {
		p.mu.Lock()
		p.console = append(p.console, "exception: "+string(raw))
		p.mu.Unlock()
	})
	b.c.on(p.session, "Page.loadEventFired", func(json.RawMessage) {
		select {
		case p.loaded <- struct{}{}:
		default:
		}
	})
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable"} {
		if err := p.call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	if err := p.SetViewport(ctx, width, height); err != nil {
		return nil, err
	}
	if err := p.SetOffline(ctx, true); err != nil {
		return nil, err
	}
	return p, nil
}

// SetOffline turns the emulated network off or on. Pages start offline;
// a test that serves files from its own loopback server turns it on.
func (p *Page) SetOffline(ctx context.Context, offline bool) error {
	return p.call(ctx, "Network.emulateNetworkConditions", map[string]any{
		"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1,
	}, nil)
}

// SetViewport sets the page's size in CSS pixels (a phone's or a desktop's).
func (p *Page) SetViewport(ctx context.Context, width, height int) error {
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil)
}

func (p *Page) call(ctx context.Context, method string, params, out any) error {
	return p.b.c.call(ctx, p.session, method, params, out)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	for len(p.loaded) > 0 {
		<-p.loaded
	}
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, res.ErrorText)
	}
	select {
	case <-p.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("navigate %s: no load event: %w", url, ctx.Err())
	}
}

// Eval evaluates a JavaScript expression (awaiting a promise it returns)
// and decodes its value into out (may be nil).
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true, "userGesture": true,
	}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out != nil {
		if len(res.Result.Value) == 0 {
			return fmt.Errorf("evaluate %q: no value (%s)", expr, res.Result.Type)
		}
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			return fmt.Errorf("evaluate %q: %w", expr, err)
		}
	}
	return nil
}

// WaitFor polls a JavaScript expression until it is true.
func (p *Page) WaitFor(ctx context.Context, expr string) error {
	for {
		var ok bool
		err := p.Eval(ctx, "!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last error: %v; console: %s)", expr, ctx.Err(), err, strings.Join(p.Console(), "; "))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Key presses and releases one key, as a user would on the focused element.
// key is a DOM key value: " ", "ArrowRight", "]", "5"...
func (p *Page) Key(ctx context.Context, key string) error {
	code, vk, text := keyInfo(key)
	down := map[string]any{"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk}
	if text != "" {
		down["text"] = text
	}
	if err := p.call(ctx, "Input.dispatchKeyEvent", down, nil); err != nil {
		return err
	}
	return p.call(ctx, "Input.dispatchKeyEvent", map[string]any{"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk}, nil)
}

func keyInfo(key string) (code string, vk int, text string) {
	switch key {
	case " ":
		return "Space", 32, " "
	case "ArrowLeft":
		return "ArrowLeft", 37, ""
	case "ArrowRight":
		return "ArrowRight", 39, ""
	case "Home":
		return "Home", 36, ""
	case "End":
		return "End", 35, ""
	case "[":
		return "BracketLeft", 219, "["
	case "]":
		return "BracketRight", 221, "]"
	case ".":
		return "Period", 190, "."
	case ",":
		return "Comma", 188, ","
	case "+":
		return "Equal", 187, "+"
	case "-":
		return "Minus", 189, "-"
	}
	if len(key) == 1 && key[0] >= '0' && key[0] <= '9' {
		return "Digit" + key, int(key[0]), key
	}
	if len(key) == 1 && key[0] >= 'a' && key[0] <= 'z' {
		return "Key" + strings.ToUpper(key), int(key[0] - 'a' + 'A'), key
	}
	return "", 0, key
}

// Click clicks at page coordinates (CSS pixels).
func (p *Page) Click(ctx context.Context, x, y float64) error {
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		ev := map[string]any{"type": typ, "x": x, "y": y}
		if typ != "mouseMoved" {
			ev["button"] = "left"
			ev["clickCount"] = 1
		}
		if err := p.call(ctx, "Input.dispatchMouseEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// ClickSelector clicks the middle of the first element matching a CSS
// selector, scrolling it into view first.
func (p *Page) ClickSelector(ctx context.Context, selector string) error {
	var r struct{ X, Y float64 }
	sel, _ := json.Marshal(selector)
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) throw new Error("no element " + %s);
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, sel, sel)
	if err := p.Eval(ctx, expr, &r); err != nil {
		return err
	}
	return p.Click(ctx, r.X, r.Y)
}

// Screenshot writes a PNG of the viewport to path.
func (p *Page) Screenshot(ctx context.Context, path string) error {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

// Requests returns the URLs of every request the page made.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Console returns what the page logged and any uncaught exceptions.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// lockedWriter lets Chromium's output be read while it is still written.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 {
		return len(p), nil
	}
	return l.w.Write(p)
}
