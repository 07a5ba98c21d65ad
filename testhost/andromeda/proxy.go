package andromeda

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// aptProxy is the only way out of andromeda's network namespace: an HTTP
// proxy (plain requests and CONNECT) that reaches this machine's Debian
// mirrors and refuses every other host.
type aptProxy struct {
	allowed map[string]bool // host:port
	client  *http.Client
}

func newAptProxy(hosts []string) *aptProxy {
	p := &aptProxy{allowed: map[string]bool{}}
	for _, h := range hosts {
		p.allowed[withPort(h, "80")] = true
		p.allowed[withPort(h, "443")] = true
	}
	p.client = &http.Client{
		Transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: 60 * time.Second},
		// apt follows redirects itself, through this proxy.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p
}

func withPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, port)
}

func (p *aptProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if r.URL.Host == "" || r.URL.Scheme != "http" {
		http.Error(w, "andromeda proxy: only absolute http:// URLs", http.StatusBadRequest)
		return
	}
	if !p.allowed[withPort(r.URL.Host, "80")] {
		http.Error(w, fmt.Sprintf("andromeda proxy: %s is not this machine's Debian mirror", r.URL.Host), http.StatusForbidden)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range []string{"Proxy-Connection", "Proxy-Authorization", "Connection", "Keep-Alive"} {
		out.Header.Del(h)
	}
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, "andromeda proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *aptProxy) connect(w http.ResponseWriter, r *http.Request) {
	if !p.allowed[withPort(r.Host, "443")] {
		http.Error(w, fmt.Sprintf("andromeda proxy: %s is not this machine's Debian mirror", r.Host), http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", withPort(r.Host, "443"))
	if err != nil {
		http.Error(w, "andromeda proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "andromeda proxy: cannot hijack", http.StatusInternalServerError)
		return
	}
	down, rw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
	rw.Flush()
	pipe(down, up)
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(interface{ CloseWrite() error }); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
	a.Close()
	b.Close()
}

// proxyAddr is where the proxy listens inside andromeda's namespace.
const proxyAddr = "127.0.0.1:3142"

// aptProxyConfFor is andromeda's apt configuration for the proxy at addr.
func aptProxyConfFor(addr string) string {
	return strings.Join([]string{
		`// Written at boot by runbook's testhost: andromeda reaches the mirror`,
		`// only through a proxy the test host's supervisor runs.`,
		`Acquire::http::Proxy "http://` + addr + `/";`,
		`Acquire::https::Proxy "http://` + addr + `/";`,
		``,
	}, "\n")
}
