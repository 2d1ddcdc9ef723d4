// Package chromiumtest drives a page in headless Chromium the way a person
// would — load it, type into a field, click a button with the mouse — over
// the DevTools protocol (a minimal CDP client on golang.org/x/net/websocket).
// Tests of the sandbox's consent page use it as the browser that $BROWSER
// starts (SPEC §7.5); it needs Debian's chromium package (/usr/bin/chromium).
package chromiumtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// Path finds Chromium: $FEDCTL_CHROMIUM, else chromium or
// chromium-browser on PATH, else /usr/bin/chromium. "" when absent.
func Path() string {
	if p := os.Getenv("FEDCTL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a headless Chromium with one CDP connection.
type Browser struct {
	cmd  *exec.Cmd
	dir  string
	ws   *websocket.Conn
	mu   sync.Mutex
	next int
	wait map[int]chan reply
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Start launches headless Chromium with a fresh profile and connects to it.
func Start(ctx context.Context, path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "fedctl-chromium-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0", "--remote-allow-origins=*",
		"--user-data-dir="+dir, "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &Browser{cmd: cmd, dir: dir, wait: map[int]chan reply{}}
	// Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID".
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
				select {
				case found <- strings.TrimSpace(u):
				default:
				}
			}
		}
	}()
	var wsURL string
	select {
	case wsURL = <-found:
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, errors.New("chromium did not start its DevTools endpoint within 30s")
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	}
	if b.ws, err = websocket.Dial(wsURL, "", "http://127.0.0.1/"); err != nil {
		b.Close()
		return nil, err
	}
	go b.read()
	return b, nil
}

func (b *Browser) read() {
	for {
		var m struct {
			ID int `json:"id"`
			reply
		}
		if err := websocket.JSON.Receive(b.ws, &m); err != nil {
			b.mu.Lock()
			for id, ch := range b.wait {
				close(ch)
				delete(b.wait, id)
			}
			b.mu.Unlock()
			return
		}
		if m.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.wait[m.ID]
		delete(b.wait, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
}

// call sends a CDP command (to a page session when session is set).
func (b *Browser) call(ctx context.Context, session, method string, params any, out any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	if err := websocket.JSON.Send(b.ws, msg); err != nil {
		return err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return errors.New("chromium closed the connection")
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Page is one tab.
type Page struct {
	b       *Browser
	session string
}

// Open opens url in a new tab.
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &t); err != nil {
		return nil, err
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &s); err != nil {
		return nil, err
	}
	return &Page{b: b, session: s.SessionID}, nil
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return errors.New("javascript: " + r.ExceptionDetails.Text)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// WaitFor polls a boolean JavaScript expression until it holds. (Polling
// here waits for a real browser; it is not a test's sleep.)
func (p *Page) WaitFor(ctx context.Context, expr string) error {
	for {
		var ok bool
		if err := p.Eval(ctx, "!!("+expr+")", &ok); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Type focuses the element (CSS selector), clears it and types text as
// keyboard input.
func (p *Page) Type(ctx context.Context, selector, text string) error {
	if err := p.Click(ctx, selector); err != nil {
		return err
	}
	sel, _ := json.Marshal(selector)
	if err := p.Eval(ctx, "document.querySelector("+string(sel)+").select()", nil); err != nil {
		return err
	}
	return p.b.call(ctx, p.session, "Input.insertText", map[string]any{"text": text}, nil)
}

// Click clicks the middle of the element with the mouse.
func (p *Page) Click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	var box struct{ X, Y float64 }
	err := p.Eval(ctx, "(()=>{const e=document.querySelector("+string(sel)+");e.scrollIntoView();const r=e.getBoundingClientRect();return {X:r.x+r.width/2,Y:r.y+r.height/2}})()", &box)
	if err != nil {
		return fmt.Errorf("no %s on the page: %w", selector, err)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		ev := map[string]any{"type": typ, "x": box.X, "y": box.Y, "button": "left", "clickCount": 1}
		if typ == "mouseMoved" {
			ev["button"] = "none"
		}
		if err := p.b.call(ctx, p.session, "Input.dispatchMouseEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// Close closes Chromium and removes its profile.
func (b *Browser) Close() {
	if b.ws != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = b.call(ctx, "", "Browser.close", map[string]any{}, nil)
		cancel()
		b.ws.Close()
	}
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(b.dir)
}

// AnswerConsent is what a person does on the sandbox's consent page: wait
// for it, type email into the account field (unless empty), click the
// Allow or Deny button, and wait for the redirect's page.
func AnswerConsent(ctx context.Context, path, url, email, button string) error {
	b, err := Start(ctx, path)
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := b.Open(ctx, url)
	if err != nil {
		return err
	}
	if err := p.WaitFor(ctx, `document.readyState=="complete" && document.querySelector("#allow")`); err != nil {
		return err
	}
	if email != "" {
		if err := p.Type(ctx, "#email", email); err != nil {
			return err
		}
	}
	if err := p.Click(ctx, "#"+button); err != nil {
		return err
	}
	return p.WaitFor(ctx, `location.hostname=="127.0.0.1" && document.querySelector("#result")`)
}
