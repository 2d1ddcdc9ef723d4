// Package cmd holds fedctl's cobra commands. Each command is thin: flag
// parsing fills an Options struct and a run function does the work, so the
// work is testable without cobra. Main is the only place that turns an
// error into output on stderr and an exit code.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// Main runs fedctl with the process's arguments and streams and returns the
// exit code. The first SIGINT/SIGTERM cancels the command's context (it
// then winds down and exits 130); a second one exits 130 at once.
func Main() int {
	ctx, stop := signalContext()
	defer stop()
	f := cmdutil.NewFactory(iostreams.System(), currentBuildInfo().Version)
	return run(ctx, f, os.Args[1:])
}

// run executes the command line args against f and maps the outcome to an
// exit code. Tests call it with iostreams.Test() streams.
func run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	return execute(ctx, f, newRootCmd(f), args)
}

// execute runs root (built over f) on args; split from run so tests can add
// commands to the tree.
func execute(ctx context.Context, f *cmdutil.Factory, root *cobra.Command, args []string) int {
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if cerr := f.Close(); cerr != nil {
		if err == nil {
			err = cerr
		} else {
			fmt.Fprintf(f.IOStreams.ErrOut, "warning: %v\n", cerr)
		}
	}
	err = classify(ctx, err)
	if err != nil {
		jsonAskedBeforeParse(f, args, err)
		fix := fixOf(f, cmd, err)
		printErrorJSON(f, err, fix)
		printError(f.IOStreams, cmd, err, fix)
	}
	return cmdutil.ExitCode(err)
}

// classify types the errors that reach Main untyped: cobra's own usage
// errors become FlagErrors, and any failure after the user interrupted
// counts as the abort it is.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !cmdutil.IsCancel(err) {
		return &cmdutil.CancelError{Err: err}
	}
	if isCobraUsageError(err) {
		return cmdutil.FlagErrorWrap(err)
	}
	return err
}

// cobraUsagePrefixes are the messages cobra returns, as plain errors, for
// unknown commands, positional-argument validators, required flags and
// flag groups; its flag-parsing errors already come typed via
// SetFlagErrorFunc.
var cobraUsagePrefixes = []string{
	"unknown command ",
	"invalid argument ",
	"accepts ",
	"requires at least ",
	"required flag(s) ",
	"if any flags in the group ",
	"at least one of the flags in the group ",
}

func isCobraUsageError(err error) bool {
	// cobra builds these with fmt.Errorf and no %w; anything wrapping
	// another error came from fedctl code and is left alone.
	if errors.Unwrap(err) != nil {
		return false
	}
	var typed *cmdutil.FlagError
	if errors.As(err, &typed) {
		return false
	}
	msg := err.Error()
	for _, p := range cobraUsagePrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// printError reports err once on stderr: nothing for a SilentError, a bare
// "aborted" for an abort, after a usage error a hint on getting help, and
// after anything else its fix (fixOf) when there is one.
func printError(ios *iostreams.IOStreams, cmd *cobra.Command, err error, fix string) {
	if err == nil || cmdutil.IsSilent(err) {
		return
	}
	if cmdutil.IsCancel(err) {
		var c *cmdutil.CancelError
		if errors.As(err, &c) {
			fmt.Fprintln(ios.ErrOut, c.Error())
		} else {
			fmt.Fprintln(ios.ErrOut, "aborted")
		}
		return
	}
	cs := ios.ErrColorScheme()
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("error:"), strings.TrimRight(err.Error(), "\n"))
	var fe *cmdutil.FlagError
	switch {
	case errors.As(err, &fe):
		if cmd != nil {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	case fix != "":
		fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Bold("fix:"), fix)
	}
}

// signalContext returns a context cancelled by the first SIGINT or SIGTERM;
// a second signal exits 130 immediately, so a stuck command can always be
// interrupted.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			os.Exit(cmdutil.ExitCancel)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
