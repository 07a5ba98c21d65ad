package chromium

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// client speaks the DevTools protocol on one websocket: numbered calls
// answered by id, and events handed to whoever listens for their method.
type client struct {
	ws *wsConn

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	subs    []*subscription
	err     error // set once the connection is gone
	done    chan struct{}
}

type message struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error,omitempty"`
}

type subscription struct {
	session, method string
	fn              func(params json.RawMessage)
}

func newClient(ws *wsConn) *client {
	c := &client{ws: ws, pending: map[int64]chan message{}, done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		b, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("devtools connection: %w", err)
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			continue
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch, ok := c.pending[m.ID]; ok {
				delete(c.pending, m.ID)
				ch <- m
			}
			c.mu.Unlock()
			continue
		}
		var fns []func(json.RawMessage)
		for _, s := range c.subs {
			if s.method == m.Method && s.session == m.SessionID {
				fns = append(fns, s.fn)
			}
		}
		c.mu.Unlock()
		for _, fn := range fns {
			fn(m.Params)
		}
	}
}

// on calls fn for every event method in session ("" for the browser).
// fn runs on the reading goroutine: it must not block or call back.
func (c *client) on(session, method string, fn func(json.RawMessage)) {
	c.mu.Lock()
	c.subs = append(c.subs, &subscription{session: session, method: method, fn: fn})
	c.mu.Unlock()
}

// call sends method with params in session and decodes the result into out.
func (c *client) call(ctx context.Context, session, method string, params, out any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.err
	}
	c.nextID++
	id := c.nextID
	ch := make(chan message, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if session != "" {
		req["sessionId"] = session
	}
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err := c.ws.WriteText(b); err != nil {
		return fmt.Errorf("%s: send: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return fmt.Errorf("%s: %w", method, err)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d) %s", method, m.Error.Message, m.Error.Code, m.Error.Data)
		}
		if out != nil && len(m.Result) > 0 {
			if err := json.Unmarshal(m.Result, out); err != nil {
				return fmt.Errorf("%s: decode result: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}
