package docstest

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// testTree is a small fedctl-like tree, so the checker's own tests do not
// move with the real CLI.
func testTree() *cobra.Command {
	run := func(*cobra.Command, []string) {}
	root := &cobra.Command{Use: "fedctl"}
	root.PersistentFlags().Bool("sandbox", false, "")
	root.PersistentFlags().String("output", "text", "")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))

	setup := &cobra.Command{Use: "setup", Run: run}
	setup.Flags().String("users", "", "")
	setup.Flags().String("mode", "", "")
	setup.Flags().String("roles", "", "")
	setup.Flags().BoolP("yes", "y", false, "")
	_ = setup.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"impersonation", "wif", "oauth"}, cobra.ShellCompDirectiveNoFileComp))
	_ = setup.RegisterFlagCompletionFunc("roles", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"roles/bigquery.user"}, cobra.ShellCompDirectiveNoSpace
	})

	token := &cobra.Command{Use: "token", Run: run}
	token.Flags().String("user", "", "")
	token.Flags().Bool("export", false, "")

	audit := &cobra.Command{Use: "audit"}
	tail := &cobra.Command{Use: "tail", Run: run}
	tail.Flags().String("since", "", "")
	audit.AddCommand(tail)

	root.AddCommand(setup, token, audit)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpFlag()
	return root
}

func check(src string) []Problem {
	return NewChecker(testTree()).CheckMarkdown("doc.md", src)
}

func TestValidReferencesPass(t *testing.T) {
	src := strings.Join([]string{
		"# Title",
		"Run `fedctl setup --users a@x.com --yes` or pass `--sandbox` (see [setup](setup.md)).",
		"Use `--mode impersonation|wif|oauth` and `fedctl completion bash|zsh|fish|powershell`.",
		"A --users flag in prose, and an em dash -- not a flag.",
		"```sh",
		"$ fedctl --sandbox setup -y --mode wif \\",
		"    --users alice@example.com,bob@example.com",
		`eval "$(fedctl --sandbox token --user alice@example.com --export)"`,
		"fedctl audit tail --since 1h | head",
		"fedctl --output=json setup --roles roles/custom.thing --users \"$USERS\"",
		"fedctl help setup",
		"fedctl token --user EMAIL",
		"fedctl <command> [flags]",
		"fedctl COMMAND --help",
		"fedctl <command> --users a@x.com",
		"# fedctl comments are prose",
		"gcloud projects describe --format json  # another tool's flags",
		"go install github.com/fedctl/fedctl@latest",
		"sudo install -m 0755 fedctl /usr/local/bin/fedctl",
		"FEDCTL_API_ENDPOINT=http://127.0.0.1:8086/ fedctl setup --yes",
		"```",
		"```text",
		"fedctl frobnicate --nope   (output is not checked)",
		"```",
		"`source <(fedctl completion zsh)`",
	}, "\n")
	c := NewChecker(testTree())
	if probs := c.CheckMarkdown("doc.md", src); len(probs) != 0 {
		t.Errorf("valid document reported:\n%v", probs)
	}
	if c.Invocations != 13 {
		t.Errorf("checked %d fedctl command lines, want 13", c.Invocations)
	}
}

func TestStaleReferencesFail(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"unknown flag in a block", "```bash\nfedctl setup --userz a@x.com\n```", `"fedctl setup" has no flag --userz`},
		{"flag of another command", "```\nfedctl token --mode wif\n```", `"fedctl token" has no flag --mode`},
		{"unknown command", "```sh\nfedctl frobnicate --yes\n```", `"fedctl" has no command "frobnicate"`},
		{"unknown subcommand", "`fedctl audit tails`", `"fedctl audit" has no command "tails"`},
		{"bad enum value", "`fedctl setup --mode sso`", "--mode sso: not one of impersonation, wif, oauth"},
		{"bad alternative", "`fedctl setup --mode wif|saml`", "--mode saml: not one of"},
		{"bad inherited value", "`fedctl --output yaml setup`", "--output yaml: not one of text, json"},
		{"missing value", "`fedctl token --user`", "--user needs a value"},
		{"placeholder command, unknown flag", "`fedctl COMMAND --nope`", "no fedctl command has --nope"},
		{"unknown shorthand", "`fedctl setup -q`", `"fedctl setup" has no flag -q`},
		{"inside $(...)", "```sh\neval \"$(fedctl token --user a --exprt)\"\n```", `has no flag --exprt`},
		{"after env assignments", "```sh\nA=1 B=x fedctl setup --nope\n```", `has no flag --nope`},
		{"after a pipe", "```sh\necho y | fedctl setupp\n```", `has no command "setupp"`},
		{"continued line", "```sh\nfedctl setup --yes \\\n  --bogus x\n```", `has no flag --bogus`},
		{"flag span", "Pass `--users-file F`.", "no fedctl command has --users-file"},
		{"prose flag", "Then add --dry-run to see.", "--dry-run: no fedctl command has this flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := check(tc.src)
			if len(probs) != 1 || !strings.Contains(probs[0].Msg, tc.want) {
				t.Fatalf("got %v, want one problem containing %q", probs, tc.want)
			}
		})
	}
}

func TestProblemsNameTheLine(t *testing.T) {
	probs := check("intro\n\n```sh\nfedctl setup\nfedctl setup --nope\n```\n")
	if len(probs) != 1 || probs[0].String() != "doc.md:5: `fedctl setup --nope`: \"fedctl setup\" has no flag --nope" {
		t.Errorf("got %v", probs)
	}
}

func TestShellWords(t *testing.T) {
	got := shellWords(` setup --attribute-condition "assertion.org == 'X'" --users a,b | jq .`)
	want := []string{"setup", "--attribute-condition", "assertion.org == 'X'", "--users", "a,b"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("shellWords = %q, want %q", got, want)
	}
}
