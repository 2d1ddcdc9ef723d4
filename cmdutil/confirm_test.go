package cmdutil

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/iostreams"
)

// failReader fails the test if anything reads it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("Confirm read stdin without a terminal")
	return 0, io.EOF
}

func TestConfirmWithoutTTYFailsWithoutReading(t *testing.T) {
	for _, tc := range []struct{ stdin, stdout bool }{{false, false}, {true, false}, {false, true}} {
		ios, _, _, errOut := iostreams.Test()
		ios.In = failReader{t}
		ios.SetStdinTTY(tc.stdin)
		ios.SetStdoutTTY(tc.stdout)
		ok, err := Confirm(context.Background(), ios, "Apply?")
		if ok || err == nil || err.Error() != "must pass --yes when not running interactively" {
			t.Errorf("stdin=%v stdout=%v: Confirm = %v, %v", tc.stdin, tc.stdout, ok, err)
		}
		if ExitCode(err) != ExitUsage {
			t.Errorf("no-TTY error exits %d, want 2", ExitCode(err))
		}
		if errOut.Len() != 0 {
			t.Errorf("prompt shown without a terminal: %q", errOut.String())
		}
	}
}

func ttyStreams(input string) (*iostreams.IOStreams, *strings.Builder) {
	ios, _, _, _ := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	ios.In = strings.NewReader(input)
	var errOut strings.Builder
	ios.ErrOut = &errOut
	return ios, &errOut
}

func TestConfirmAnswers(t *testing.T) {
	for _, tc := range []struct {
		input string
		want  bool
	}{
		{"y\n", true}, {"YES\n", true}, {"  yes  \n", true}, {"y", true},
		{"\n", false}, {"n\n", false}, {"no\n", false}, {"sure\n", false},
	} {
		ios, errOut := ttyStreams(tc.input)
		got, err := Confirm(context.Background(), ios, "Apply 3 changes?")
		if err != nil || got != tc.want {
			t.Errorf("answer %q: Confirm = %v, %v; want %v", tc.input, got, err, tc.want)
		}
		if !strings.Contains(errOut.String(), "Apply 3 changes? [y/N]") {
			t.Errorf("prompt not on stderr: %q", errOut.String())
		}
	}
}

func TestConfirmReadsOneLineAtATime(t *testing.T) {
	ios, _ := ttyStreams("n\ny\n")
	first, _ := Confirm(context.Background(), ios, "one?")
	second, err := Confirm(context.Background(), ios, "two?")
	if first || !second || err != nil {
		t.Errorf("answers = %v, %v (%v); want false, true", first, second, err)
	}
}

func TestConfirmEOFIsCancel(t *testing.T) {
	ios, _ := ttyStreams("")
	_, err := Confirm(context.Background(), ios, "Apply?")
	if ExitCode(err) != ExitCancel {
		t.Errorf("EOF: err %v exits %d, want 130", err, ExitCode(err))
	}
}

func TestConfirmReturnsOnCancelledContext(t *testing.T) {
	ios, _ := ttyStreams("")
	pr, pw := io.Pipe() // never written: a read blocks forever
	defer pw.Close()
	ios.In = pr
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Confirm(ctx, ios, "Apply?")
	var ce *CancelError
	if !errors.As(err, &ce) || ExitCode(err) != ExitCancel {
		t.Errorf("cancelled ctx: err %v, want CancelError", err)
	}
}
