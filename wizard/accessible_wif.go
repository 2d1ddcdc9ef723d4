package wizard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/wif"
)

// askWIF is the wif screens as line prompts: a preset and its tenant
// values, then every provider and access field with the preset's value in
// brackets, each checked as the screens check it (the mapping and
// condition compiled with cel-go, errors with a caret under the column).
func askWIF(p *prompter, s *session) error {
	w, out := &s.cfg.WIF, p.out
	names := append(wif.PresetNames(), "custom")
	def := w.Preset
	if def == "" {
		def = names[0]
		if w.Provider.IssuerURI != "" {
			def = "custom"
		}
	}
	name, err := p.ask("Preset ("+strings.Join(names, ", ")+"; custom: none)", def, func(v string) error {
		if !slices.Contains(names, v) {
			return fmt.Errorf("type one of %s", strings.Join(names, ", "))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// What the preset proposes; every answer below can change it.
	proposed := *w
	if name != "custom" {
		pr, _ := wif.LookupPreset(name)
		fmt.Fprintln(out, pr.Note)
		values := map[string]string{}
		for _, pp := range pr.Params {
			v, err := p.ask(fmt.Sprintf("%s: %s, e.g. %s", pp.Name, pp.Help, pp.Example), "", nonEmpty)
			if err != nil {
				return err
			}
			values[pp.Name] = v
		}
		// The preset proposes every field it knows (it fills only empty
		// ones); the rest keep their answers.
		proposed.Pool, proposed.PrincipalSet, proposed.Principal = config.Pool{}, "", ""
		proposed.Provider = config.Provider{AllowedAudiences: w.Provider.AllowedAudiences, JWKSJSON: w.Provider.JWKSJSON}
		_ = pr.Apply(&proposed, values) // every parameter was asked for
	} else {
		proposed.Preset = ""
	}
	w.Preset = proposed.Preset

	if w.Provider.IssuerURI, err = p.ask("Issuer URI (the iss claim of the tokens)", proposed.Provider.IssuerURI, nonEmpty); err != nil {
		return err
	}
	mapping, err := p.ask("Attribute mapping (KEY=EXPRESSION, comma-separated)", config.FormatAttributeMapping(proposed.Provider.AttributeMapping), func(v string) error {
		m, err := config.ParseAttributeMapping(v)
		if err != nil {
			return err
		}
		return celErrors(m, "", wif.FieldMapping)
	})
	if err != nil {
		return err
	}
	w.Provider.AttributeMapping, _ = config.ParseAttributeMapping(mapping)
	cond, err := p.ask("Attribute condition (CEL that pins your tenant; - for none)", cmpOr(proposed.Provider.AttributeCondition, "-"), func(v string) error {
		if v == "-" {
			return nil
		}
		return celErrors(w.Provider.AttributeMapping, v, wif.FieldCondition)
	})
	if err != nil {
		return err
	}
	w.Provider.AttributeCondition = strings.TrimPrefix(cond, "-")
	aud, err := p.ask("Allowed audiences (comma-separated; - for the provider's own resource name)", cmpOr(strings.Join(proposed.Provider.AllowedAudiences, ","), "-"), nil)
	if err != nil {
		return err
	}
	w.Provider.AllowedAudiences = config.SplitList(strings.TrimPrefix(aud, "-"))
	if w.Pool.ID, err = p.ask("Pool ID", proposed.Pool.ID, config.CheckPoolID); err != nil {
		return err
	}
	w.Pool.DisplayName = proposed.Pool.DisplayName
	if w.Provider.ID, err = p.ask("Provider ID", proposed.Provider.ID, config.CheckPoolID); err != nil {
		return err
	}

	member, err := p.ask("Who may use it: a principal set (attribute.NAME/VALUE, group/G) or one subject (subject/SUB)", cmpOr(proposed.PrincipalSet, proposed.Principal), nonEmpty)
	if err != nil {
		return err
	}
	w.PrincipalSet, w.Principal = member, ""
	if strings.HasPrefix(member, "subject/") || strings.HasPrefix(member, "principal:") {
		w.PrincipalSet, w.Principal = "", member
	}
	saDef := proposed.ServiceAccount
	if proposed.Direct {
		saDef = "-"
	}
	sa, err := p.ask("Target service account ID (e.g. "+saExample+"; - for direct: the roles go to the federated identities)", saDef, func(v string) error {
		if v == "-" {
			return nil
		}
		return config.CheckAccountID(v)
	})
	if err != nil {
		return err
	}
	w.Direct, w.ServiceAccount = sa == "-", strings.TrimPrefix(sa, "-")
	return askRoles(p, s)
}

// askWIFRisks asks whether to force what PreflightWIF refuses (no
// condition, the whole pool), saying the loud warning first.
func askWIFRisks(p *prompter, s *session) error {
	if s.cfg.Mode != config.ModeWIF {
		return nil
	}
	w := s.cfg.WIF
	if w.MissingCondition() && !s.allow.Unconditioned {
		fmt.Fprintln(p.out, "WARNING: "+engine.UnconditionedWarning)
		ok, err := p.yesNo("Accept a provider WITHOUT a condition anyway (--allow-unconditioned)?", false)
		if err != nil {
			return err
		}
		s.allow.Unconditioned = ok
	}
	if w.Wildcard() && !s.allow.Wildcard {
		fmt.Fprintln(p.out, "WARNING: "+engine.WildcardWarning)
		ok, err := p.yesNo("Accept the WHOLE pool anyway (--allow-wildcard)?", false)
		if err != nil {
			return err
		}
		s.allow.Wildcard = ok
	}
	return nil
}

// celErrors is wif.Check's errors about field, each with its caret line.
func celErrors(mapping map[string]string, condition, field string) error {
	_, problems := wif.Check(mapping, condition)
	var msgs []string
	for _, pr := range wif.Errors(problems) {
		if pr.Field != field {
			continue
		}
		msg := pr.String()
		expr := condition
		if field == wif.FieldMapping {
			expr = mapping[pr.Key]
		}
		if ptr := (&wif.ExprError{Expr: expr, Line: pr.Line, Column: pr.Column}).Pointer(); ptr != "" {
			msg += "\n" + ptr
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "\n"))
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("this one is needed")
	}
	return nil
}
