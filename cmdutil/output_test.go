package cmdutil

import (
	"bytes"
	"testing"
)

func TestParseOutput(t *testing.T) {
	for in, want := range map[string]OutputFormat{"": OutputText, "text": OutputText, "json": OutputJSON} {
		got, err := ParseOutput(in)
		if err != nil || got != want {
			t.Errorf("ParseOutput(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"yaml", "JSON", "table"} {
		_, err := ParseOutput(bad)
		if ExitCode(err) != ExitUsage {
			t.Errorf("ParseOutput(%q) error %v exits %d, want 2", bad, err, ExitCode(err))
		}
	}
}

func TestOutputFormatIsAFlagValue(t *testing.T) {
	var o OutputFormat
	if o.String() != "text" {
		t.Errorf("zero value String() = %q, want text", o.String())
	}
	if err := o.Set("json"); err != nil || !o.IsJSON() {
		t.Fatalf("Set(json) = %v, value %q", err, o)
	}
	if err := o.Set("xml"); err == nil || o != OutputJSON {
		t.Errorf("Set(xml) = %v and changed the value to %q", err, o)
	}
}

func TestPrintJSON(t *testing.T) {
	var buf bytes.Buffer
	err := PrintJSON(&buf, map[string]any{"query": "SELECT 1 WHERE a < b && c > d", "n": 1})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"n\": 1,\n  \"query\": \"SELECT 1 WHERE a < b && c > d\"\n}\n"
	if buf.String() != want {
		t.Errorf("PrintJSON wrote\n%q\nwant\n%q", buf.String(), want)
	}
}
