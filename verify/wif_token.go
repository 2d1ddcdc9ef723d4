package verify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/wif"
)

// The wif rows that need no subject token (the condition compiles) and
// those that do: with --claims or --subject-token-file, the token's
// registered claims, the mapped attributes, the condition's verdict and the
// matching binding, all evaluated locally with the same code the sandbox's
// STS runs; then, given a real token, the live chain a workload runs — STS
// exchange, impersonation of the target SA, the probe — each failure naming
// its stage, as google-github-actions/auth does.

// wif check names.
const (
	CheckWIFCondition    = "wif_condition"
	CheckWIFTokenIssuer  = "wif_token_issuer"
	CheckWIFTokenAud     = "wif_token_audience"
	CheckWIFTokenExpiry  = "wif_token_expiry"
	CheckWIFTokenIssued  = "wif_token_issued_at"
	CheckWIFMapping      = "wif_mapping"
	CheckWIFAdmits       = "wif_condition_admits"
	CheckWIFBinding      = "wif_binding_matches"
	CheckWIFSTS          = "wif_sts_exchange"
	CheckWIFImpersonate  = "wif_impersonation"
	CheckWIFProbe        = "wif_bigquery_probe"
	cloudPlatformScope   = "https://www.googleapis.com/auth/cloud-platform"
	subjectTokenFlagHint = "--subject-token-file FILE (a JWT from the workload's IdP)"
)

func init() {
	maps.Copy(titles, map[string]string{
		CheckWIFCondition:   "condition valid",
		CheckWIFTokenIssuer: "token issuer",
		CheckWIFTokenAud:    "token audience",
		CheckWIFTokenExpiry: "token expiry",
		CheckWIFTokenIssued: "token issued at",
		CheckWIFMapping:     "mapped attributes",
		CheckWIFAdmits:      "condition admits",
		CheckWIFBinding:     "binding matches",
		CheckWIFSTS:         "STS exchange",
		CheckWIFImpersonate: "impersonation",
		CheckWIFProbe:       "BigQuery probe",
	})
}

// conditionRow checks the configured condition compiles and reads mapped
// claims (a missing one is the provider row's warning already).
func (r *runner) conditionRow() Check {
	p := r.cfg.WIF.Provider
	c := Check{Scope: ScopeWIF, Name: CheckWIFCondition, Subject: r.cfg.WIF.Provider.ID}
	if strings.TrimSpace(p.AttributeCondition) == "" {
		set(&c, Warn, "no attribute condition", r.setupCommand("")+" --attribute-condition CEL")
		return c
	}
	_, problems := wif.Check(p.AttributeMapping, p.AttributeCondition)
	var errs, warns []string
	for _, pr := range problems {
		if pr.Severity == wif.Error {
			errs = append(errs, pr.String())
		} else {
			warns = append(warns, pr.String())
		}
	}
	switch {
	case len(errs) > 0:
		set(&c, Fail, strings.Join(errs, "; "), "fix the expression in the configuration, then "+r.setupCommand(""))
	case len(warns) > 0:
		set(&c, Warn, strings.Join(warns, "; "), "")
	default:
		set(&c, Pass, "valid CEL: "+p.AttributeCondition, "")
	}
	return c
}

// wifTokenChecks evaluates a subject token or claims locally, then (with a
// token whose local checks pass) runs the live chain.
func (r *runner) wifTokenChecks(ctx context.Context, projectNumber string) []Check {
	claims, raw := r.opts.Claims, r.opts.SubjectToken
	if raw != "" && claims == nil {
		tok, err := wif.ParseJWT(raw)
		if err != nil {
			return []Check{{Scope: ScopeWIF, Name: CheckWIFTokenIssuer, Subject: r.opts.SubjectTokenSource, Status: Fail,
				Seen: "not a JWT: " + err.Error(), Fix: subjectTokenFlagHint}}
		}
		claims = tok.Claims
	}
	if claims == nil {
		return nil
	}
	w := r.cfg.WIF
	subject := r.opts.SubjectTokenSource
	var out []Check
	add := func(name string, st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeWIF, Name: name, Subject: subject, Status: st, Seen: seen, Fix: fix})
	}

	auds := w.Provider.AllowedAudiences
	if len(auds) == 0 {
		auds = wif.DefaultAudiences(w.ProviderName(projectNumber))
	}
	localOK := true
	names := map[string]string{"iss": CheckWIFTokenIssuer, "aud": CheckWIFTokenAud, "exp": CheckWIFTokenExpiry, "iat": CheckWIFTokenIssued}
	for _, cc := range wif.CheckClaims(claims, w.Provider.IssuerURI, auds, r.opts.Now()) {
		seen := cc.Claim + " " + orDash(cc.Seen)
		if cc.OK {
			add(names[cc.Claim], Pass, seen, "")
			continue
		}
		localOK = false
		fix := ""
		switch cc.Claim {
		case "iss":
			fix = fmt.Sprintf("%s --issuer-uri %s (if that issuer is the one you trust)", r.setupCommand(""), orDash(cc.Seen))
		case "aud":
			fix = fmt.Sprintf("have the workload request audience %s, or %s --allowed-audiences %s", auds[0], r.setupCommand(""), orDash(cc.Seen))
		default:
			fix = "get a fresh token from the IdP"
		}
		add(names[cc.Claim], Fail, seen+": "+cc.Detail, fix)
	}

	compiled, err := wif.Compile(w.Provider.AttributeMapping, w.Provider.AttributeCondition)
	if err != nil {
		add(CheckWIFMapping, Skip, "the mapping or condition does not compile", "see the condition row")
		return out
	}
	res := compiled.Evaluate(claims)
	attrs := formatAttributes(res.Attributes)
	switch {
	case res.Subject == "":
		localOK = false
		add(CheckWIFMapping, Fail, res.Reason, "map google.subject to a claim the token carries")
	case len(res.Problems) > 0:
		add(CheckWIFMapping, Warn, attrs+" (problems: "+strings.Join(res.Problems, "; ")+")", "")
	default:
		add(CheckWIFMapping, Pass, attrs, "")
	}
	refused := res.Subject != "" && !res.Admitted
	if res.Subject != "" {
		if res.Admitted {
			add(CheckWIFAdmits, Pass, "admitted by "+orDash(w.Provider.AttributeCondition), "")
		} else {
			// A token of another tenant refused is the federation working:
			// say so, and suggest nothing that would let it in.
			localOK = false
			add(CheckWIFAdmits, Fail, res.Reason+": the federation is working, the condition keeps out tokens without the values it pins",
				"nothing to change if this token is not one of yours; if it is, issue it from the tenant the condition pins")
		}
	}
	member := w.Member(projectNumber)
	if refused {
		add(CheckWIFBinding, Skip, "not evaluated: refused by the condition", "")
	} else if matched := wif.MatchingMembers([]string{member}, projectNumber, w.Pool.ID, res.Attributes); len(matched) > 0 {
		add(CheckWIFBinding, Pass, member+" names this identity (as "+wif.Principal(projectNumber, w.Pool.ID, res.Subject)+")", "")
	} else {
		localOK = false
		add(CheckWIFBinding, Fail, member+" does not name this identity ("+attrs+")",
			fmt.Sprintf("%s --principal-set attribute.NAME/VALUE matching the token, or --principal subject/%s", r.setupCommand(""), res.Subject))
	}

	if raw == "" {
		return out // claims only: nothing to exchange
	}
	if refused {
		add(CheckWIFSTS, Skip, "not exchanged: refused by the condition", "")
		return out
	}
	if !localOK {
		add(CheckWIFSTS, Skip, "the local checks above already fail", "fix them first")
		return out
	}
	return append(out, r.liveChain(ctx, w.Audience(projectNumber), raw, subject, member)...)
}

// liveChain runs STS → impersonation → probe with the subject token.
func (r *runner) liveChain(ctx context.Context, audience, raw, subject, member string) []Check {
	var out []Check
	add := func(name string, st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeWIF, Name: name, Subject: subject, Status: st, Seen: seen, Fix: fix})
	}
	fed, err := r.c.ExchangeToken(ctx, audience, raw)
	if err != nil {
		var se *gcp.STSError
		if errors.As(err, &se) {
			add(CheckWIFSTS, Fail, "STS: "+se.Code+": "+se.Description, stsFix(se.Code))
		} else {
			add(CheckWIFSTS, Fail, "STS: "+errText(err), "")
		}
		return out
	}
	add(CheckWIFSTS, Pass, "federated token issued (expires "+fed.Expiry.UTC().Format("15:04:05Z")+")", "")

	tok := &gcp.Token{AccessToken: fed.AccessToken, Expiry: fed.Expiry}
	w := r.cfg.WIF
	if target := w.TargetEmail(r.project); !w.Direct && target != "" {
		sa, err := r.c.GenerateAccessToken(ctx, target, nil, []string{cloudPlatformScope}, r.opts.Lifetime, oauth2.StaticTokenSource(fed))
		if err != nil {
			e := gcp.Classify(err)
			fix := ""
			if e.Kind == gcp.KindPermissionDenied {
				fix = fixGrantOnSA(r.project, target, member, roleWorkloadIdentityUser) + " (or wait: IAM grants take minutes to propagate)"
			}
			add(CheckWIFImpersonate, Fail, "impersonation of "+target+": "+e.Error(), fix)
			return out
		}
		add(CheckWIFImpersonate, Pass, "token for "+target, "")
		tok = sa
	}
	if _, err := r.query(ctx, tok); err != nil {
		add(CheckWIFProbe, Fail, r.opts.ProbeQuery+": "+errText(err), "")
		return out
	}
	add(CheckWIFProbe, Pass, r.opts.ProbeQuery+" ran", "")
	return out
}

func stsFix(code string) string {
	switch code {
	case "invalid_target":
		return "the pool or provider is missing, deleted or disabled: fedctl setup (it undeletes and re-enables)"
	case "unauthorized_client":
		return "the attribute condition rejected the token: check the claims it pins"
	case "invalid_grant":
		return "the token itself: its signature (issuer keys, --jwks-file), issuer, audience or expiry"
	}
	return ""
}

func formatAttributes(attrs map[string]any) string {
	keys := slices.Sorted(maps.Keys(attrs))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, attrs[k])
	}
	if len(parts) == 0 {
		return "no attributes"
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
