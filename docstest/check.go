// Package docstest keeps fedctl's Markdown honest: every `fedctl ...`
// command line and every --flag that README.md and docs/*.md mention must
// exist in the real cobra command tree, so a renamed or removed flag fails
// the tests instead of the reader.
//
// What is checked:
//   - in shell code blocks (```, ```sh, ```bash, ```console, ...): every
//     fedctl invocation, including inside $(...), with its subcommands,
//     flags (on the command they are given to), and flag values where the
//     flag completes from a fixed list (--mode, --grant, --output);
//   - in inline code: the same for spans holding a fedctl invocation, and
//     a span that starts with a flag (`--users-file F`) must name a flag
//     some command has;
//   - in prose: a bare --flag must be a flag some command has.
//
// Output blocks (```text, ```json, ```yaml, ...) and other tools' command
// lines (gcloud, go, goreleaser) are not checked.
package docstest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Problem is one stale reference in a document.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// shellFences are the code block info strings holding command lines.
var shellFences = []string{"", "sh", "bash", "shell", "console", "zsh", "fish", "powershell", "ps1", "shell-session"}

var (
	fenceRe     = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_-]*)")
	codeSpanRe  = regexp.MustCompile("`([^`]+)`")
	proseFlagRe = regexp.MustCompile(`(?:^|[\s(\[,/])(--[a-z][a-z0-9-]*)`)
	// invocationRe finds fedctl in command position: at the start (after
	// a "$ " prompt and VAR=value assignments), or after ( | ; & ` " as in
	// $(fedctl ...), <(fedctl ...), x | fedctl, eval "$(fedctl ...)". Not
	// an argument of another command (install -m 0755 fedctl /usr/bin).
	invocationRe = regexp.MustCompile("(?:^|[(|;&`\"])\\s*(?:\\$\\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\\S*\\s+)*fedctl(?:\\s|$)")
)

// Checker checks documents against one command tree.
type Checker struct {
	root *cobra.Command
	// anyFlag holds every flag name of every command, for flags named in
	// prose, where the command they belong to is not said.
	anyFlag map[string]bool
	// Invocations counts the fedctl command lines checked, so a test can
	// tell a clean run from one that found nothing to check.
	Invocations int
}

// NewChecker indexes root's tree. Call root.InitDefaultHelpCmd,
// InitDefaultCompletionCmd and InitDefaultHelpFlag first (as clitree.Root
// does) so the commands cobra adds at Execute time are known.
func NewChecker(root *cobra.Command) *Checker {
	c := &Checker{root: root, anyFlag: map[string]bool{}}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		add := func(f *pflag.Flag) { c.anyFlag[f.Name] = true }
		cmd.Flags().VisitAll(add)
		cmd.PersistentFlags().VisitAll(add)
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return c
}

// CheckMarkdown returns the stale references in the Markdown document src,
// reported as file:line.
func (c *Checker) CheckMarkdown(file, src string) []Problem {
	var probs []Problem
	report := func(line int, format string, args ...any) {
		probs = append(probs, Problem{file, line, fmt.Sprintf(format, args...)})
	}
	lines := strings.Split(src, "\n")
	inFence, shellFence, fence := false, false, ""
	for i := 0; i < len(lines); i++ {
		n, line := i+1, lines[i]
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			switch {
			case !inFence:
				inFence, fence = true, m[1]
				shellFence = slices.Contains(shellFences, strings.ToLower(m[2]))
				continue
			case strings.HasPrefix(strings.TrimSpace(line), fence) && m[2] == "":
				inFence = false
				continue
			}
		}
		if inFence {
			if !shellFence {
				continue
			}
			// A command continued with a trailing backslash is one line.
			for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
				i++
				line = strings.TrimSuffix(line, "\\") + " " + lines[i]
			}
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue // a shell comment, prose in a code block
			}
			for _, msg := range c.checkInvocations(line) {
				report(n, "%s", msg)
			}
			continue
		}
		for _, span := range codeSpanRe.FindAllStringSubmatch(line, -1) {
			code := span[1]
			if invocationRe.MatchString(code) {
				for _, msg := range c.checkInvocations(code) {
					report(n, "%s", msg)
				}
				continue
			}
			if f := strings.Fields(code); len(f) > 0 && strings.HasPrefix(f[0], "--") {
				if name := flagName(f[0]); !c.anyFlag[name] {
					report(n, "`%s`: no fedctl command has --%s", code, name)
				}
			}
		}
		prose := codeSpanRe.ReplaceAllString(line, " ")
		prose = regexp.MustCompile(`\]\([^)]*\)`).ReplaceAllString(prose, "]") // link targets
		for _, m := range proseFlagRe.FindAllStringSubmatch(prose, -1) {
			if name := flagName(m[1]); !c.anyFlag[name] {
				report(n, "%s: no fedctl command has this flag", m[1])
			}
		}
	}
	return probs
}

// flagName is the name in "--name", "--name=value" or "--name]".
func flagName(tok string) string {
	name := strings.TrimLeft(tok, "-")
	name, _, _ = strings.Cut(name, "=")
	return strings.TrimRight(name, "]),.;:")
}

// checkInvocations checks every fedctl command line in text.
func (c *Checker) checkInvocations(text string) []string {
	var msgs []string
	for _, loc := range invocationRe.FindAllStringIndex(text, -1) {
		start := loc[0] + strings.LastIndex(text[loc[0]:loc[1]], "fedctl") + len("fedctl")
		words := shellWords(text[start:])
		c.Invocations++
		for _, msg := range c.checkArgs(words) {
			msgs = append(msgs, fmt.Sprintf("`fedctl %s`: %s", strings.Join(words, " "), msg))
		}
	}
	return msgs
}

// checkArgs walks args down the command tree as cobra would parse them.
func (c *Checker) checkArgs(args []string) []string {
	var msgs []string
	cmd := c.root
	resolving := true // still reading subcommand names
	anyCmd := false   // a placeholder stands for the command: any flag will do
	for i := 0; i < len(args); i++ {
		tok := strings.Trim(args[i], "[]")
		switch {
		case tok == "" || tok == "--":
			continue
		case tok == "..." || tok == "…" || strings.HasPrefix(tok, "<") || isPlaceholder(tok):
			// Placeholder syntax: `fedctl <command> [flags]`, `fedctl
			// audit …`, `fedctl COMMAND --help`. In command position it
			// leaves the command unknown.
			if resolving && len(cmd.Commands()) > 0 && !cmd.Runnable() {
				anyCmd = true
			}
			resolving = false
		case anyCmd && strings.HasPrefix(tok, "--"):
			if !c.anyFlag[flagName(tok)] {
				msgs = append(msgs, fmt.Sprintf("no fedctl command has --%s", flagName(tok)))
			}
		case strings.HasPrefix(tok, "-"):
			f := lookupFlag(cmd, tok)
			if f == nil {
				msgs = append(msgs, fmt.Sprintf("%q has no flag %s", cmd.CommandPath(), strings.SplitN(tok, "=", 2)[0]))
				continue
			}
			if f.NoOptDefVal != "" { // boolean-like: takes no separate value
				continue
			}
			value, inline := "", false
			if _, v, ok := strings.Cut(tok, "="); ok {
				value, inline = v, true
			}
			if !inline {
				if i+1 == len(args) {
					msgs = append(msgs, fmt.Sprintf("--%s needs a value", f.Name))
					continue
				}
				i++
				value = strings.Trim(args[i], "[]")
			}
			if msg := checkValue(cmd, f, value); msg != "" {
				msgs = append(msgs, msg)
			}
		case resolving:
			alts := strings.Split(tok, "|")
			var found []*cobra.Command
			for _, a := range alts {
				if sub := findSub(cmd, a); sub != nil {
					found = append(found, sub)
				}
			}
			switch {
			case len(found) == len(alts):
				cmd = found[0]
			case len(cmd.Commands()) > 0 && !cmd.Runnable():
				msgs = append(msgs, fmt.Sprintf("%q has no command %q", cmd.CommandPath(), tok))
				return msgs // what follows cannot be checked
			default:
				resolving = false // a positional argument
			}
		}
	}
	return msgs
}

// isPlaceholder reports whether tok is an upper-case metavariable (COMMAND,
// EMAIL) rather than a literal word.
func isPlaceholder(tok string) bool {
	return tok == strings.ToUpper(tok) && strings.ToLower(tok) != tok
}

func findSub(cmd *cobra.Command, name string) *cobra.Command {
	for _, sub := range cmd.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}

// lookupFlag finds --name or -n on cmd, including the flags it inherits.
func lookupFlag(cmd *cobra.Command, tok string) *pflag.Flag {
	if strings.HasPrefix(tok, "--") {
		return cmd.Flag(flagName(tok))
	}
	short := strings.TrimPrefix(tok, "-")
	if len(short) != 1 {
		return nil
	}
	if f := cmd.Flags().ShorthandLookup(short); f != nil {
		return f
	}
	return cmd.InheritedFlags().ShorthandLookup(short)
}

// checkValue checks value against the fixed list a flag completes from, if
// it has one. SPEC-style alternatives (impersonation|wif|oauth) are each
// checked; placeholders (EMAIL, $USERS, <id>) are not values.
func checkValue(cmd *cobra.Command, f *pflag.Flag, value string) string {
	complete, ok := cmd.GetFlagCompletionFunc(f.Name)
	if !ok || value == "" || strings.ContainsAny(value, "$<{") || isPlaceholder(value) {
		return ""
	}
	vals, dir := complete(cmd, nil, "")
	if len(vals) == 0 || dir&cobra.ShellCompDirectiveNoSpace != 0 {
		return "" // free-form, or a list completed element by element
	}
	for i := range vals { // "value\tdescription" → "value"
		vals[i], _, _ = strings.Cut(vals[i], "\t")
	}
	for _, v := range strings.Split(value, "|") {
		if !slices.Contains(vals, v) {
			return fmt.Sprintf("--%s %s: not one of %s", f.Name, v, strings.Join(vals, ", "))
		}
	}
	return ""
}

// shellWords splits a command line as a shell would, well enough for
// documentation: quotes group words, and the command ends at a pipe,
// separator, comment, redirection or closing $(...) parenthesis.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if quote != 0 {
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
			continue
		}
		switch {
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == ')' || r == ';' || r == '&' || r == '>' || r == '`':
			flush()
			return words
		case r == '|' && (!inWord || i+1 == len(rs) || rs[i+1] == ' '):
			// " | next" is a pipe; "a|b" inside a word lists alternatives.
			flush()
			return words
		case r == '#' && !inWord:
			flush()
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}
