package lazyregexp

import "testing"

func TestCompilesOnFirstUse(t *testing.T) {
	r := New(`^a(\d+)$`)
	if r.rx != nil {
		t.Fatal("compiled before use")
	}
	if m := r.FindStringSubmatch("a42"); len(m) != 2 || m[1] != "42" {
		t.Fatalf("got %q", m)
	}
	if r.rx == nil || r.MatchString("b") {
		t.Fatal("not compiled once, or wrong match")
	}
}

func TestInvalidPatternPanicsOnUse(t *testing.T) {
	r := New(`(`)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an invalid pattern")
		}
	}()
	r.MatchString("x")
}
