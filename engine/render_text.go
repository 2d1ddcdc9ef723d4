package engine

import (
	"fmt"
	"io"
	"strings"

	"github.com/fedctl/fedctl/iostreams"
)

// Messages that end a plan.
const (
	NoChangesMessage = "No changes. Federation is up to date."
	NothingToRemove  = "No changes. Nothing to tear down."
)

// RenderText writes the plan for people, the way Terraform does: one block
// per pending change (`+` create, `~` update in place, `-` destroy), policy
// members listed as `+ roles/x: serviceAccount:y`, warnings, and the totals.
// No-op resources are not listed. Colour comes from cs (off when the
// streams say so).
func RenderText(w io.Writer, p *Plan, cs *iostreams.ColorScheme) error {
	tw := &errWriter{w: w}
	for _, n := range p.Info {
		tw.printf("%s\n", cs.Gray("note: "+n))
	}
	if !p.HasChanges() {
		for _, warn := range p.Warnings {
			tw.printf("%s %s\n", cs.WarningIcon(), warn)
		}
		renderPreflight(tw, p, cs)
		tw.printf("%s\n", cs.Green(p.Operation.noChangesMessage()))
		return tw.err
	}
	tw.printf("fedctl %s will perform the following actions in project %s:\n", p.Operation.Command(), cs.Bold(p.Project))
	tw.printf("  %s create   %s update in place   %s destroy\n\n", cs.Green("+"), cs.Yellow("~"), cs.Red("-"))
	for _, c := range p.Changes {
		if c.Action == ActionNoop {
			continue
		}
		renderChange(tw, c, cs)
	}
	for _, warn := range p.Warnings {
		tw.printf("%s %s\n\n", cs.WarningIcon(), cs.Yellow("Warning: ")+warn)
	}
	renderPreflight(tw, p, cs)
	n := p.Counts()
	tw.printf("%s %d to add, %d to change, %d to destroy.\n", cs.Bold("Plan:"), n.Add, n.Change, n.Destroy)
	return tw.err
}

func symbol(a Action, cs *iostreams.ColorScheme) string {
	switch a {
	case ActionCreate:
		return cs.Green("+")
	case ActionUpdate:
		return cs.Yellow("~")
	case ActionDelete:
		return cs.Red("-")
	}
	return " "
}

func renderChange(tw *errWriter, c *Change, cs *iostreams.ColorScheme) {
	tw.printf("  %s %s\n", symbol(c.Action, cs), cs.Bold(c.Address))
	switch st := pick(c).(type) {
	case *ServiceAccountState:
		tw.printf("        email: %s\n", st.Email)
		if len(st.Users) > 0 {
			tw.printf("        for:   %s\n", strings.Join(st.Users, ", "))
		}
	case *FileState:
		tw.printf("        path:  %s (mode %s)\n", st.Path, st.Mode)
	case *PoolState:
		renderPool(tw, c, st)
	case *ProviderState:
		renderProvider(tw, c, st, cs)
	case *DatasetState:
		tw.printf("        dataset:  %s (location %s)\n", st.Dataset, st.Location)
	case *SinkState:
		renderSink(tw, c, st)
	case *DatasetAccessState:
		tw.printf("        %s: %s\n", st.Role, knownAfterApply(st.UserByEmail))
	case *KeyState:
		renderKey(tw, c, st)
	case *OrgPolicyState:
		renderOrgPolicy(tw, c, st)
	}
	if d := c.Delta; d != nil {
		for _, m := range d.Add {
			tw.printf("      %s %s: %s\n", cs.Green("+"), m.Role, m.Member)
		}
		for _, m := range d.Remove {
			tw.printf("      %s %s: %s\n", cs.Red("-"), m.Role, m.Member)
		}
		for _, a := range d.AuditLogsAdd {
			tw.printf("      %s audit log %s: %s\n", cs.Green("+"), a.Service, a.LogType)
		}
		for _, b := range d.Untouched {
			tw.printf("      %s\n", cs.Gray(fmt.Sprintf("  %s if %s: %s (conditional, left as is)", b.Role, conditionLabel(b.Condition), strings.Join(b.Members, ", "))))
		}
	}
	if c.Reason != "" && c.Kind != KindPolicy {
		tw.printf("        %s\n", cs.Gray("# "+c.Reason))
	}
	tw.printf("\n")
}

// pick is the state that describes the resource: After, or Before for a
// deletion.
func pick(c *Change) any {
	if c.After != nil {
		return c.After
	}
	return c.Before
}

func conditionLabel(c *ConditionState) string {
	if c.Title != "" {
		return fmt.Sprintf("%q", c.Title)
	}
	return c.Expression
}

// errWriter keeps the first write error so that renderers read straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
