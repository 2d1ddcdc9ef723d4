package wizard

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/wif"
)

// Helpers of the wif screens: the attribute mapping as editable lines,
// problems shown under the field they concern, and the integration values.

// formatMappingLines writes a mapping as KEY=EXPRESSION lines,
// google.subject first (every OIDC provider maps it), then the rest sorted.
func formatMappingLines(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int {
		switch {
		case a == "google.subject":
			return -1
		case b == "google.subject":
			return 1
		}
		return 0
	})
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + m[k]
	}
	return strings.Join(lines, "\n")
}

// parseMappingLines reads KEY=EXPRESSION lines (blank lines and # comments
// skipped). CEL uses "==", never in a key, so the first '=' ends the key.
// Every malformed line is a problem of its own, naming its line.
func parseMappingLines(text string) (map[string]string, []string) {
	m := map[string]string{}
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "":
			problems = append(problems, fmt.Sprintf("line %d: %q is not KEY=EXPRESSION (e.g. attribute.org=assertion.org_id)", i+1, line))
		case m[k] != "":
			problems = append(problems, fmt.Sprintf("line %d: %s is mapped twice", i+1, k))
		default:
			m[k] = v
		}
	}
	return m, problems
}

// celProblemView draws one finding of wif.Check: where it is (line and
// column), what is wrong and the fix, and for a located one the offending
// line with a caret under the column (expr is the expression it is in).
func celProblemView(st *Styles, p wif.Problem, expr, pad string, width int) string {
	mark, style := markFail, st.Error
	if p.Severity == wif.Warning {
		mark, style = markWarn, st.Warn
	}
	text := p.Message
	if p.Key != "" && p.Field == wif.FieldMapping {
		text = p.Key + ": " + text
	}
	if p.Line > 0 {
		text = fmt.Sprintf("line %d, column %d: %s", p.Line, p.Column, text)
	}
	if p.Fix != "" && p.Fix != "fix the CEL expression" {
		text += " — " + p.Fix
	}
	out := para(style, pad, mark+" "+text, width)
	if ptr := (&wif.ExprError{Expr: expr, Line: p.Line, Column: p.Column}).Pointer(); ptr != "" {
		for _, l := range strings.Split(ptr, "\n") {
			out += pad + st.Muted.Render(l) + "\n"
		}
	}
	return out
}

// fieldProblems are cfg's preflight problems whose field starts with one of
// prefixes (config.Validate judges the answers, as on the scripted path).
func fieldProblems(cfg *config.Config, prefixes ...string) []config.Problem {
	var pe *config.PreflightError
	if err := cfg.Validate(); !errors.As(err, &pe) {
		return nil
	}
	var out []config.Problem
	for _, p := range pe.Problems {
		for _, pre := range prefixes {
			if p.Field == pre || strings.HasPrefix(p.Field, pre+".") || strings.HasPrefix(p.Field, pre+"[") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// problemsView lists problems, each wrapped under pad.
func problemsView(st *Styles, ps []config.Problem, pad string, width int) string {
	var b strings.Builder
	for _, p := range ps {
		text := markFail + " " + p.Message
		if p.Fix != "" {
			text += ": " + p.Fix
		}
		b.WriteString(para(st.Error, pad, text, width))
	}
	return b.String()
}

// loudWarning is a forced risk, as the scripted path prints it.
func loudWarning(st *Styles, text, pad string, width int) string {
	return para(st.Warn.Bold(true), pad, markWarn+" WARNING: "+text, width)
}

// forceRisk is the checkbox that accepts a risk the engine refuses by
// default (no condition, a wildcard principal set) and, once ticked, the
// loud warning the scripted path prints with the same --allow-* flag.
func forceRisk(st *Styles, label, warning string, checked, focused bool, width int) string {
	box := "[ ]"
	if checked {
		box = "[x]"
	}
	var b strings.Builder
	if focused {
		b.WriteString(wifPad[:len(wifPad)-2] + st.Cursor.Render(markFocus+" ") + box + " " + st.Focused.Render(label) + "\n")
	} else {
		b.WriteString(wifPad + box + " " + label + "\n")
	}
	if checked {
		b.WriteString(loudWarning(st, warning, wifPad, width))
	}
	return b.String()
}

// wifOutputs are the values an integrator pastes, once the plan is known.
func (s *session) wifOutputs() *engine.WIFOutputs {
	if s.cfg.Mode != config.ModeWIF || s.plan == nil || s.plan.Desired() == nil {
		return nil
	}
	return s.plan.Desired().WIFOutputs()
}

// wifOutputsView is the integration values block of the Apply and Verify
// screens. Long values are broken at the edge rather than cut, and they
// are printed whole when the wizard closes, for copying.
func wifOutputsView(s *session, width int) string {
	out := s.wifOutputs()
	if out == nil {
		return ""
	}
	st := s.styles
	sa := out.ServiceAccount
	if sa == "" {
		sa = "(none: direct federation)"
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Integration values") + st.Muted.Render(" · paste these into the workload's settings (printed again on exit)") + "\n")
	for _, kv := range [][2]string{{"Project number ", out.ProjectNumber}, {"Provider       ", out.Provider}, {"Service account", sa}} {
		b.WriteString("  " + st.Label.Render(kv[0]) + " " + breakAt(kv[1], width-20, strings.Repeat(" ", 18)) + "\n")
	}
	return b.String()
}

// breakAt cuts s into chunks of n characters, continuation lines after pad.
func breakAt(s string, n int, pad string) string {
	if n < 20 || len(s) <= n {
		return s
	}
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	parts = append(parts, s)
	return strings.Join(parts, "\n"+pad)
}
