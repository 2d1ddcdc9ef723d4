package faultinject

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func okHandler(applied *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*applied++
		io.WriteString(w, `{}`)
	})
}

func get(t *testing.T, c *http.Client, method, url string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestNthMatchingRequestFails(t *testing.T) {
	applied := 0
	inj := New(okHandler(&applied), 1, Fault{Method: "GET", Path: `/pools/[^/]+$`, Nth: 2, Status: 503, RetryAfter: "3"})
	srv := httptest.NewServer(inj)
	defer srv.Close()
	c := srv.Client()
	var codes []int
	for _, p := range []string{"/pools/a", "/pools/a/providers/b", "/pools/a", "/pools/a"} {
		code, body, err := get(t, c, "GET", srv.URL+p)
		if err != nil {
			t.Fatal(err)
		}
		if code == 503 && !strings.Contains(body, `"status":"UNAVAILABLE"`) {
			t.Errorf("503 body = %s, want Google's envelope", body)
		}
		codes = append(codes, code)
	}
	if want := []int{200, 200, 503, 200}; !equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
	if applied != 3 {
		t.Errorf("handler ran %d times, want 3 (the fault is answered before it)", applied)
	}
	ev := inj.Events()
	if len(ev) != 1 || ev[0].Cause != "503" || ev[0].Path != "/pools/a" || inj.Requests() != 4 {
		t.Errorf("events = %+v, requests = %d", ev, inj.Requests())
	}
}

func TestAfterApplyAndReset(t *testing.T) {
	applied := 0
	inj := New(okHandler(&applied), 1,
		Fault{Method: "POST", Nth: 1, Status: 503, AfterApply: true},
		Fault{Method: "PUT", Nth: 1, Reset: true})
	srv := httptest.NewServer(inj)
	defer srv.Close()
	if code, _, _ := get(t, srv.Client(), "POST", srv.URL+"/x"); code != 503 || applied != 1 {
		t.Errorf("after apply: code %d, applied %d; want 503 and 1", code, applied)
	}
	if _, _, err := get(t, srv.Client(), "PUT", srv.URL+"/x"); err == nil {
		t.Error("reset: the request succeeded")
	}
}

func TestRateIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		applied := 0
		srv := httptest.NewServer(New(okHandler(&applied), seed, Fault{Rate: 0.3, Status: 503}))
		defer srv.Close()
		var out []int
		for range 40 {
			code, _, _ := get(t, srv.Client(), "GET", srv.URL+"/x")
			out = append(out, code)
		}
		return out
	}
	a, b := run(7), run(7)
	if !equal(a, b) {
		t.Error("the same seed failed different requests")
	}
	n := 0
	for _, c := range a {
		if c == 503 {
			n++
		}
	}
	if n == 0 || n == 40 {
		t.Errorf("%d of 40 failed at rate 0.3", n)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
