package engine

import "github.com/fedctl/fedctl/iostreams"

// renderPreflight writes the preflight findings: errors first (the plan
// will not be applied), then warnings, each with its fix and source.
func renderPreflight(tw *errWriter, p *Plan, cs *iostreams.ColorScheme) {
	for _, sev := range []Severity{SeverityError, SeverityWarning} {
		for _, f := range p.Preflight {
			if f.Severity != sev {
				continue
			}
			if sev == SeverityError {
				tw.printf("%s %s%s\n", cs.FailureIcon(), cs.Red("Preflight error: "), f.Message)
			} else {
				tw.printf("%s %s%s\n", cs.WarningIcon(), cs.Yellow("Preflight warning: "), f.Message)
			}
			if f.Fix != "" {
				tw.printf("    fix: %s\n", f.Fix)
			}
			if f.Source != "" {
				tw.printf("    see: %s\n", f.Source)
			}
			tw.printf("\n")
		}
	}
	if p.PreflightErr() != nil {
		tw.printf("%s\n", cs.Red("Preflight failed: this plan will not be applied (nothing was written)."))
	}
}
