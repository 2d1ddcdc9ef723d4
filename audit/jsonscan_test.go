package audit

import (
	"encoding/json"
	"testing"
)

// TestScannerStringsAsEncodingJSON: the scanner's string decoding (its
// quote search and its own unescaping) agrees with encoding/json, and an
// object's members after a tricky string are still found.
func TestScannerStringsAsEncodingJSON(t *testing.T) {
	for _, lit := range []string{
		`""`, `"plain"`, `"a\"b"`, `"\\"`, `"\\\\"`, `"ends with \\\""`, `"\\\"\\"`,
		`"\u003e= and \u0026"`, `"tab\tnew\nline\r\b\f\/"`, `"é \u00e9 \u20ac"`,
		`"\ud83d\ude00 pair"`, `"\ud83d lone high"`, `"\ude00 lone low"`, `"\ud83d\u0041 high then A"`,
		`"SELECT * FROM \u0060p.d.t\u0060 WHERE a \u003e '1'"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		doc := []byte(`{"s":` + lit + `,"after":"x"}`)
		var got, after string
		s := &scanner{b: doc}
		s.object(func(k []byte) {
			switch string(k) {
			case "s":
				got = s.str()
			case "after":
				after = s.str()
			default:
				s.skip()
			}
		})
		if s.err != nil || got != want || after != "x" {
			t.Errorf("%s: got %q (after %q, err %v), want %q", lit, got, after, s.err, want)
		}
		// Skipping the same string lands on the same member.
		after = ""
		s = &scanner{b: doc}
		s.object(func(k []byte) {
			if string(k) == "after" {
				after = s.str()
			} else {
				s.skip()
			}
		})
		if after != "x" {
			t.Errorf("%s: skipped badly (after %q, err %v)", lit, after, s.err)
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `"\u12G4"`, `"unterminated\"`} {
		s := &scanner{b: []byte(bad)}
		if s.str(); s.err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
