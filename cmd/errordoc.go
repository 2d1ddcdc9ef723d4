package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// errorJSON is the one document a failed command prints on stdout with
// --output json when it printed none of its own (as terraform -json
// reports diagnostics): scripts parse stdout whatever the exit code.
type errorJSON struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message  string `json:"message"`
	ExitCode int    `json:"exit_code"`
	Fix      string `json:"fix"`
}

// fixer is an error that knows its fix.
type fixer interface{ Fix() string }

// fixOf is the fix for err, worded once: the error's own, a usage hint, or
// the fix for a failed Google call with the invocation's context.
func fixOf(f *cmdutil.Factory, cmd *cobra.Command, err error) string {
	var fx fixer
	if errors.As(err, &fx) && fx.Fix() != "" {
		// Worded for the plain invocation: given this one's context.
		project, _ := f.Project()
		return invocationOf(cmd, f, project).Contextualize(fx.Fix(), fx.Fix())
	}
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) {
		if cmd == nil {
			return "run 'fedctl --help' for usage"
		}
		return fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath())
	}
	if cmdutil.IsCancel(err) {
		return ""
	}
	project, _ := f.Project()
	return fixhint.ForError(err, invocationOf(cmd, f, project))
}

// countingWriter notes whether anything was written, so that the error
// document is printed only when stdout has no document yet.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// trackStdout wraps stdout for a JSON run (called once flags are parsed).
func trackStdout(f *cmdutil.Factory) {
	if f.Output().IsJSON() {
		if _, ok := f.IOStreams.Out.(*countingWriter); !ok {
			f.IOStreams.Out = &countingWriter{w: f.IOStreams.Out}
		}
	}
}

// printErrorJSON prints the error document when --output json was asked
// for and the command printed nothing on stdout; fix is fixOf's.
func printErrorJSON(f *cmdutil.Factory, err error, fix string) {
	if err == nil || !f.Output().IsJSON() {
		return
	}
	if cw, ok := f.IOStreams.Out.(*countingWriter); ok && cw.n > 0 {
		return
	}
	msg := err.Error()
	var c *cmdutil.CancelError
	if errors.As(err, &c) {
		msg = c.Error()
	}
	_ = cmdutil.PrintJSON(f.IOStreams.Out, errorJSON{Error: errorBody{
		Message: msg, ExitCode: cmdutil.ExitCode(err), Fix: fix}})
}

// jsonAskedBeforeParse: a usage error found before cobra parsed --output
// (an unknown command, or an unknown flag ahead of --output json) still
// owes the script its JSON error document; args say what was asked.
func jsonAskedBeforeParse(f *cmdutil.Factory, args []string, err error) {
	var fe *cmdutil.FlagError
	if f.Globals.Output != "" || !errors.As(err, &fe) {
		return
	}
	for i, a := range args {
		switch {
		case a == "--":
			return
		case a == "--output=json", a == "--output" && i+1 < len(args) && args[i+1] == "json":
			f.Globals.Output = cmdutil.OutputJSON
			return
		}
	}
}
