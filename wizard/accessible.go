package wizard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/verify"
)

// runAccessible is the wizard as line prompts (--accessible, TERM=dumb):
// the same questions, validators and backend as the screens, asked one line
// at a time on stderr with no alternate screen and no redrawing, so a
// screen reader reads it top to bottom. End of input or Ctrl-C aborts
// (exit 130) before anything is applied.
//
// huh's accessible fields were not used: they start a new buffered scanner
// per question (swallowing pasted lines meant for the next one) and treat
// end of input as "use the default", which would turn a closed stdin into
// a yes.
func runAccessible(ctx context.Context, s *session, ios *iostreams.IOStreams) error {
	p := &prompter{ctx: ctx, in: bufio.NewReader(ios.In), out: ios.ErrOut}
	cfg := s.cfg
	w := ios.ErrOut
	fmt.Fprintln(w, "fedctl setup (accessible mode). Press Enter to keep the value in brackets.")

	// 1. Project.
	for {
		v, err := p.ask("Project ID", cfg.Project, config.CheckProjectID)
		if err != nil {
			return err
		}
		info, err := s.backend.Project(ctx, v, cfg.RequiredAPIs())
		if err != nil {
			fmt.Fprintf(w, "Cannot read project %s: %s\nFix: %s\n", v, errorLine(err), s.fixFor(err, v))
			continue
		}
		cfg.Project = v
		fmt.Fprintf(w, "Project %s, number %s.\n", info.ID, info.Number)
		for _, a := range info.APIs {
			state := "enabled"
			if !a.Enabled {
				state = "off, setup enables it"
			}
			fmt.Fprintf(w, "  API %s: %s\n", a.Service, state)
		}
		break
	}

	// 2. Mode.
	ms := newModeScreen(s)
	for {
		fmt.Fprintln(w, "Modes:")
		for i, mi := range modeInfos {
			fmt.Fprintf(w, "  %d. %s: %s; %s\n", i+1, mi.mode, mi.title, mi.audit)
			if why := ms.unavailable(mi.mode); why != "" {
				fmt.Fprintf(w, "     not available: %s\n", why)
			}
		}
		v, err := p.ask("Mode (1-3)", strconv.Itoa(ms.cursor+1), func(s string) error {
			if n, err := strconv.Atoi(s); err != nil || n < 1 || n > len(modeInfos) {
				return errors.New("type 1, 2 or 3")
			}
			return nil
		})
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(v)
		mode := modeInfos[n-1].mode
		if why := ms.unavailable(mode); why != "" {
			fmt.Fprintf(w, "%s is not available: %s\n", mode, why)
			continue
		}
		switchMode(cfg, mode)
		break
	}

	// 3. Identities, until the preflight passes.
	// (wif: the provider and who may use it, then the scripted path's wif
	// preflight with the risks the admin forced).
	for {
		ask := askIdentities
		if cfg.Mode == config.ModeWIF {
			ask = askWIF
		}
		if err := ask(p, s); err != nil {
			return err
		}
		var pe *config.PreflightError
		if err := cfg.Validate(); errors.As(err, &pe) {
			fmt.Fprintln(w, "Please fix these:")
			for _, pr := range pe.Problems {
				fmt.Fprintln(w, "  "+problemText(pr))
			}
			continue
		}
		if err := askWIFRisks(p, s); err != nil {
			return err
		}
		warns, err := engine.PreflightWIF(cfg, s.allow)
		if err != nil {
			fmt.Fprintln(w, "Please fix these:")
			fmt.Fprintln(w, "  "+err.Error())
			continue
		}
		for _, warn := range warns {
			fmt.Fprintln(w, "WARNING: "+warn)
		}
		break
	}

	// 4. Audit.
	logs, err := p.yesNo(qDataAccessLogs+"? Without them nothing records who ran what through whom", true)
	if err != nil {
		return err
	}
	cfg.Audit.DataAccessLogs = logs
	if err := askSink(p, cfg); err != nil {
		return err
	}
	if cfg.Mode == config.ModeImpersonation {
		v, err := p.ask("Verifier: the member that may verify keylessly (Token Creator on the admin SA), e.g. user:you@acme.com; - for none", cmpOr(cfg.Verifier, "-"), func(v string) error {
			if v == "-" {
				return nil
			}
			return config.CheckMember(v)
		})
		if err != nil {
			return err
		}
		cfg.Verifier = strings.TrimPrefix(v, "-")
	}

	if err := askOAuthClient(p, s); err != nil {
		return err
	}

	// 5. Plan.
	plan, err := s.backend.Plan(ctx, cfg)
	if err != nil {
		return err
	}
	s.plan = plan
	if err := engine.RenderText(ios.Out, plan, ios.ColorScheme()); err != nil {
		return err
	}
	if plan.HasChanges() {
		for {
			v, err := p.ask("Apply these changes? yes, no, or write the answers to a file (w)", "no", nil)
			if err != nil {
				return err
			}
			switch strings.ToLower(strings.TrimSpace(v)) {
			case confirmWord: // typed in full, as on the plan screen
			case "y":
				fmt.Fprintln(w, "Type "+confirmWord+" in full to apply (Enter or no aborts).")
				continue
			case "w", "write":
				path, err := p.ask("File", s.configPath, nil)
				if err != nil {
					return err
				}
				if err := writeConfig(cfg, path); err != nil {
					fmt.Fprintln(w, "Cannot write it:", err)
				} else {
					fmt.Fprintf(w, "Saved. Replay with: %s\n", s.replayCommand(path))
				}
				continue
			default:
				fmt.Fprintln(w, "Aborted: nothing was changed.")
				return cmdutil.Silence(cmdutil.ErrCancel)
			}
			break
		}
		if users := offboarded(plan); len(users) > 0 {
			v, err := p.ask(fmt.Sprintf("This also offboards %s: their service accounts are disabled at once and their bindings removed. Type %s to offboard them", strings.Join(users, ", "), confirmWord), "no", nil)
			if err != nil {
				return err
			}
			if !strings.EqualFold(strings.TrimSpace(v), confirmWord) {
				fmt.Fprintln(w, "Aborted: nothing was changed.")
				return cmdutil.Silence(cmdutil.ErrCancel)
			}
		}

		// 6. Apply.
		res, err := s.backend.Apply(ctx, plan, engine.LinePrinter(w, ios.ErrColorScheme()))
		var hookErr error
		if res != nil {
			sum := engine.NewSummary(res)
			if err == nil && sum.WIF != nil && s.onWIFOutputs != nil {
				hookErr = s.onWIFOutputs(sum.WIF)
			}
			fmt.Fprintln(ios.Out)
			_ = engine.RenderSummaryText(ios.Out, sum, ios.ColorScheme())
		}
		if err != nil {
			if ctx.Err() != nil {
				return &cmdutil.CancelError{Err: err}
			}
			return err
		}
		if hookErr != nil {
			return hookErr
		}
	} else if out := s.wifOutputs(); out != nil {
		// Nothing to apply: the integration values are still what the
		// admin came for.
		if s.onWIFOutputs != nil {
			if err := s.onWIFOutputs(out); err != nil {
				return err
			}
		}
		_ = engine.RenderWIFOutputsTo(ios.Out, out, ios.ColorScheme())
	}

	// 7. Verify.
	rep, err := accessibleVerify(ctx, p, s, ios)
	if err != nil {
		return err
	}
	fmt.Fprintln(ios.Out)
	if err := verify.RenderText(ios.Out, rep, verify.TextOptions{Width: ios.TerminalWidth()}); err != nil {
		return err
	}
	if rep.Failed() {
		return cmdutil.Silence(&cmdutil.ChecksFailedError{Message: rep.FailureMessage()})
	}
	return nil
}

// askIdentities asks for users, template, pattern and roles, echoing the
// rendered service accounts.
func askIdentities(p *prompter, s *session) error {
	cfg, w := s.cfg, p.out
	v, err := p.ask("Users (comma-separated, or @FILE to load a users file)", strings.Join(cfg.Users(), ","), nil)
	if err != nil {
		return err
	}
	var users []string
	if path, ok := strings.CutPrefix(v, "@"); ok {
		if users, err = config.ReadUsersFile(expandHome(path)); err != nil {
			fmt.Fprintln(w, err)
			return askIdentities(p, s)
		}
	} else {
		entries, notes := parseUsers(v)
		for _, n := range notes {
			fmt.Fprintln(w, "note:", n)
		}
		for _, e := range entries {
			users = append(users, e.email)
		}
	}
	cfg.SetUsers(users)
	if cfg.Mode == config.ModeImpersonation {
		t, err := p.ask("Identity template", cfg.Impersonation.IdentityTemplate, config.CheckTemplate)
		if err != nil {
			return err
		}
		cfg.Impersonation.IdentityTemplate = t
		for _, u := range users {
			email, _, err := config.RenderIdentity(t, u, cfg.Project)
			if err != nil {
				fmt.Fprintf(w, "  %s: %v\n", u, err)
				continue
			}
			fmt.Fprintf(w, "  %s gets %s\n", u, email)
		}
		b, err := p.yesNo("Use Pattern B (Token Creator on the whole project)? "+patternBWarning, cfg.Impersonation.Grant == config.GrantProject)
		if err != nil {
			return err
		}
		cfg.Impersonation.Grant = config.GrantPerUser
		if b {
			cfg.Impersonation.Grant = config.GrantProject
		}
	}
	return askRoles(p, s)
}

// askRoles asks for the data roles of the active mode.
func askRoles(p *prompter, s *session) error {
	cfg, w := s.cfg, p.out
	var names []string
	for _, c := range commonRoles {
		names = append(names, c.role)
	}
	fmt.Fprintln(w, "Common BigQuery roles: "+strings.Join(names, ", "))
	r, err := p.ask("Data roles (comma-separated)", strings.Join(cfg.Roles(), ","), func(v string) error {
		for _, role := range config.SplitList(v) {
			if err := config.CheckRole(role); err != nil {
				return fmt.Errorf("%s: %w", role, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cfg.SetRoles(config.SplitList(r))
	return nil
}

// prompter asks one line at a time. Reads run beside ctx so Ctrl-C (which
// cancels it) never waits for Enter; end of input is an abort, never a
// default.
type prompter struct {
	ctx context.Context
	in  *bufio.Reader
	out io.Writer
}

func (p *prompter) line() (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := p.in.ReadString('\n')
		ch <- res{s, err}
	}()
	select {
	case <-p.ctx.Done():
		return "", &cmdutil.CancelError{Err: p.ctx.Err()}
	case r := <-ch:
		if r.err != nil && (r.s == "" || !errors.Is(r.err, io.EOF)) {
			fmt.Fprintln(p.out)
			return "", &cmdutil.CancelError{Err: r.err}
		}
		return strings.TrimSpace(r.s), nil
	}
}

// ask prompts until check accepts the answer (Enter keeps def).
func (p *prompter) ask(question, def string, check func(string) error) (string, error) {
	for {
		if def != "" {
			fmt.Fprintf(p.out, "%s [%s]: ", question, def)
		} else {
			fmt.Fprintf(p.out, "%s: ", question)
		}
		v, err := p.line()
		if err != nil {
			return "", err
		}
		if v == "" {
			v = def
		}
		if check != nil {
			if err := check(v); err != nil {
				fmt.Fprintln(p.out, "Invalid:", err)
				if def == "-" {
					// "-" means none (no condition, no verifier): after a
					// mistake Enter must not silently drop what was being
					// typed, so none has to be typed deliberately.
					def = ""
					check = noneTyped(check)
				}
				continue
			}
		}
		return v, nil
	}
}

// noneTyped refuses an empty answer, naming "-" as the way to say none.
func noneTyped(check func(string) error) func(string) error {
	return func(v string) error {
		if v == "" {
			return errors.New("type it again, or - for none")
		}
		return check(v)
	}
}

func (p *prompter) yesNo(question string, def bool) (bool, error) {
	d := "n"
	if def {
		d = "y"
	}
	v, err := p.ask(question+" (y/n)", d, func(s string) error {
		switch strings.ToLower(s) {
		case "y", "yes", "n", "no":
			return nil
		}
		return errors.New("answer y or n")
	})
	if err != nil {
		return false, err
	}
	return strings.HasPrefix(strings.ToLower(v), "y"), nil
}
