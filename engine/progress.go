package engine

import (
	"fmt"
	"io"
	"time"

	"github.com/fedctl/fedctl/iostreams"
)

// EventStatus is where a step is.
type EventStatus string

const (
	StepStarted  EventStatus = "started"
	StepFinished EventStatus = "finished"
	StepFailed   EventStatus = "failed"
)

// Event reports the progress of one apply step. The scripted commands print
// finished and failed events as lines on stderr; the wizard renders the
// same events in its own view.
type Event struct {
	// Step describes the step ("create service_account.user[\"a@x.com\"]",
	// "enable api[\"iam.googleapis.com\"]").
	Step string
	// Addresses are the plan addresses the step applies.
	Addresses []string
	Status    EventStatus
	// Elapsed is the step's duration (finished and failed events).
	Elapsed time.Duration
	Err     error
}

// LinePrinter returns a Progress handler that writes one line per finished
// or failed step to w: what a terminal-less run shows on stderr.
func LinePrinter(w io.Writer, cs *iostreams.ColorScheme) func(Event) {
	return func(ev Event) {
		switch ev.Status {
		case StepFinished:
			fmt.Fprintf(w, "%s %s %s\n", cs.SuccessIcon(), ev.Step, cs.Gray(fmt.Sprintf("(%s)", roundElapsed(ev.Elapsed))))
		case StepFailed:
			fmt.Fprintf(w, "%s %s %s: %v\n", cs.FailureIcon(), ev.Step, cs.Gray(fmt.Sprintf("(%s)", roundElapsed(ev.Elapsed))), ev.Err)
		}
	}
}

func roundElapsed(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}
