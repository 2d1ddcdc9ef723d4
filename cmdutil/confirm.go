package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fedctl/fedctl/iostreams"
)

// Confirm asks a yes/no question on ErrOut and reads the answer from In.
// Only "y"/"yes" (any case) is yes; an empty line is the default, no.
//
// It asks only when ios.CanPrompt(); otherwise it returns NoTTYError("--yes")
// at once, without touching In, so scripts fail fast instead of hanging.
// Callers check --yes first and call Confirm only when it is absent.
//
// The read runs beside ctx: when ctx is cancelled (Ctrl-C caught by
// cmd.Main) Confirm returns a CancelError instead of waiting for Enter.
// End of input (Ctrl-D) is also a CancelError.
func Confirm(ctx context.Context, ios *iostreams.IOStreams, question string) (bool, error) {
	if !ios.CanPrompt() {
		return false, NoTTYError("--yes")
	}
	cs := ios.ErrColorScheme()
	if _, err := fmt.Fprintf(ios.ErrOut, "%s %s [y/N] ", cs.Bold("?"), question); err != nil {
		return false, err
	}

	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := readLine(ios.In)
		ch <- answer{line, err}
	}()

	select {
	case <-ctx.Done():
		fmt.Fprintln(ios.ErrOut)
		return false, &CancelError{Err: ctx.Err()}
	case a := <-ch:
		if a.err != nil {
			if errors.Is(a.err, io.EOF) {
				fmt.Fprintln(ios.ErrOut)
				return false, ErrCancel
			}
			return false, a.err
		}
		switch strings.ToLower(strings.TrimSpace(a.line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}

// readLine reads up to and including '\n' one byte at a time, so nothing
// past the answer is consumed from In (a later prompt still sees it).
// A final line without '\n' counts; EOF with nothing read is io.EOF.
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				return sb.String(), nil
			}
			sb.WriteByte(buf[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && sb.Len() > 0 {
				return sb.String(), nil
			}
			return "", err
		}
	}
}
