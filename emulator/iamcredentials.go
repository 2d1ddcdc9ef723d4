package emulator

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"strconv"
	"strings"
	"time"

	iamcredentials "google.golang.org/api/iamcredentials/v1"
)

// IAM Service Account Credentials API (gcp-wire §6): generateAccessToken with
// Google's authorization of delegation chains, and its Data Access audit log.

const (
	credService         = "iamcredentials.googleapis.com"
	permGetAccessToken  = "iam.serviceAccounts.getAccessToken"
	maxTokenLifetime    = time.Hour
	maxExtendedLifetime = 12 * time.Hour
)

// credDelegateRE is a delegate's resource name; Google requires the "-" project.
var credDelegateRE = lazyregexp.New(`^projects/-/serviceAccounts/([^/]+)$`)

// delegateName is the email or unique ID a delegate names. Google documents
// the resource form projects/-/serviceAccounts/{ACCOUNT_EMAIL_OR_UNIQUEID}
// but also accepts the bare email or unique ID, which is what gcloud sends
// for --impersonate-service-account=A,B (googlecloudsdk's impersonation
// passes the chain's emails as delegates as typed).
func delegateName(d string) (string, bool) {
	if m := credDelegateRE.FindStringSubmatch(d); m != nil {
		return m[1], true
	}
	if d == "" || strings.Contains(d, "/") {
		return "", false
	}
	return d, true
}

func init() {
	registerAPI(func(s *Server) {
		s.handle(&route{Service: "iamcredentials", Method: "POST",
			Pattern: `^/v1/projects/([^/]+)/serviceAccounts/([^/:]+):generateAccessToken$`,
			Name:    "iamcredentials.projects.serviceAccounts.generateAccessToken", Handler: generateAccessToken})
	})
}

// credInvalid is iamcredentials' 400 for a malformed request (Google's text is
// the generic one; the field violation says which part).
func credInvalid(field, why string) *apiError {
	e := errInvalid("Request contains an invalid argument.")
	e.Details = []map[string]any{{"@type": "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []map[string]string{{"field": field, "description": why}}}}
	return e
}

// credTarget is one service account along a delegation chain, as named.
type credTarget struct {
	named string // email or unique id as the request gave it
	p     *Project
	sa    *ServiceAccount // nil: does not exist (or not visible yet)
}

// resolveCredTarget finds a named SA; a missing one still gets its project
// from the email domain, for the service check and the 404-vs-403 decision.
func (c *call) resolveCredTarget(named string) credTarget {
	t := credTarget{named: named}
	if p, sa := c.st.FindServiceAccount(named); sa != nil && c.saVisible(sa) {
		t.p, t.sa = p, sa
		return t
	} else if p != nil {
		t.p = p
		return t
	}
	if _, domain, ok := strings.Cut(named, "@"); ok {
		if pid, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok {
			t.p = c.st.Projects[pid]
		}
	}
	return t
}

// holdsOn reports whether holder has permission on target: on the SA's own
// policy (Pattern A) or on its project's policy (Pattern B), after propagation.
func (c *call) holdsOn(holder *Identity, t credTarget, permission string) bool {
	delay := c.s.opts.PropagationDelay
	if t.sa != nil && t.sa.Policy.allows(holder, permission, c.now, delay) {
		return true
	}
	return t.p != nil && t.p.Policy.allows(holder, permission, c.now, delay)
}

func generateAccessToken(c *call) (any, error) {
	caller, _ := c.caller()
	if c.args[0] != "-" {
		return nil, credInvalid("name", "The project in the resource name must be the wildcard '-'.")
	}
	var req iamcredentials.GenerateAccessTokenRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	target := c.resolveCredTarget(c.args[1])
	if target.p != nil {
		if err := c.requireService(target.p, credService, target.p.Number); err != nil {
			return nil, err
		}
	}
	if len(req.Scope) == 0 {
		return nil, credInvalid("scope", "At least one scope is required.")
	}
	lifetime, err := parseCredLifetime(req.Lifetime)
	if err != nil {
		return nil, err
	}
	hops := make([]credTarget, 0, len(req.Delegates)+1)
	for _, d := range req.Delegates {
		named, ok := delegateName(d)
		if !ok {
			return nil, credInvalid("delegates", fmt.Sprintf("Invalid delegate %q: want projects/-/serviceAccounts/{ACCOUNT_EMAIL_OR_UNIQUEID}.", d))
		}
		hops = append(hops, c.resolveCredTarget(named))
	}
	hops = append(hops, target)

	// Each holder must hold getAccessToken on the next hop: the caller on the
	// first delegate (or the target), each delegate on the one after it.
	holder := caller
	for i, hop := range hops {
		last := i == len(hops)-1
		if hop.sa == nil {
			if last && target.p != nil && target.p.Policy.allows(holder, permGetAccessToken, c.now, c.s.opts.PropagationDelay) {
				return nil, errNotFound("Not found; Gaia id not found for email " + hop.named)
			}
			c.auditGenerateAccessToken(caller, target, req.Delegates, false)
			return nil, errIAMPermissionDenied(permGetAccessToken)
		}
		if !c.holdsOn(holder, hop, permGetAccessToken) {
			c.auditGenerateAccessToken(caller, target, req.Delegates, false)
			return nil, errIAMPermissionDenied(permGetAccessToken)
		}
		holder = &Identity{Principal: "serviceAccount:" + hop.sa.Email}
	}
	if target.sa.Disabled {
		return nil, errFailedPrecondition("Precondition check failed.")
	}
	// Past one hour only for accounts the lifetime-extension constraint
	// lists (IAM docs, "Create short-lived credentials": up to 12 hours).
	if lifetime > maxTokenLifetime && !c.lifetimeExtensionAllowed(target.p, target.sa) {
		return nil, credInvalid("lifetime", fmt.Sprintf("The lifetime %s exceeds 3600s; a longer lifetime requires the service account to be listed in the constraints/%s organization policy.", req.Lifetime, ConstraintLifetimeExtension))
	}

	id := &Identity{Principal: "serviceAccount:" + target.sa.Email, Scopes: req.Scope,
		Expiry: c.now.Add(lifetime).Unix(), UID: target.sa.UniqueID}
	id.Chain = append(append([]string(nil), caller.Chain...), caller.Principal)
	for _, hop := range hops[:len(hops)-1] {
		id.Chain = append(id.Chain, "serviceAccount:"+hop.sa.Email)
	}
	if strings.HasPrefix(caller.Principal, "principal://") {
		id.Attributes = caller.Attributes
	}
	c.auditGenerateAccessToken(caller, target, req.Delegates, true)
	return &iamcredentials.GenerateAccessTokenResponse{
		AccessToken: mintToken(c.st.Secret, id),
		ExpireTime:  time.Unix(id.Expiry, 0).UTC().Format(time.RFC3339),
	}, nil
}

// parseCredLifetime parses a google.protobuf.Duration ("3600s", "1.5s");
// empty is the default hour.
func parseCredLifetime(s string) (time.Duration, error) {
	if s == "" {
		return maxTokenLifetime, nil
	}
	secs, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil || !strings.HasSuffix(s, "s") {
		return 0, credInvalid("lifetime", fmt.Sprintf("Invalid duration %q.", s))
	}
	d := time.Duration(secs * float64(time.Second))
	if d <= 0 || d > maxExtendedLifetime {
		return 0, credInvalid("lifetime", fmt.Sprintf("The lifetime %s must be positive and at most 43200s.", s))
	}
	return d, nil
}

// auditGenerateAccessToken writes the ADMIN_READ Data Access entry, only when
// the target's project logs them for iam.googleapis.com (or allServices).
// Production may redact a denied caller that is not a service account; the
// emulator keeps the caller, so denials stay attributable in tests.
func (c *call) auditGenerateAccessToken(caller *Identity, target credTarget, delegates []string, granted bool) {
	p := target.p
	if p == nil || !p.Policy.dataAccessLogged("iam.googleapis.com", "ADMIN_READ", caller.Principal) {
		return
	}
	email, uniqueID := target.named, target.named
	if target.sa != nil {
		email, uniqueID = target.sa.Email, target.sa.UniqueID
	}
	resName := "projects/-/serviceAccounts/" + uniqueID
	// The chain names each delegate in the resource form, however the
	// request spelled it (bare emails and IDs are accepted too).
	chain := make([]string, 0, len(delegates)+1)
	for _, d := range delegates {
		if named, ok := delegateName(d); ok {
			d = "projects/-/serviceAccounts/" + named
		}
		chain = append(chain, d)
	}
	chain = append(chain, "projects/-/serviceAccounts/"+email)
	al := &auditLog{
		ServiceName:        credService,
		MethodName:         "GenerateAccessToken",
		AuthenticationInfo: authInfoFor(caller),
		AuthorizationInfo: []authorizationInfo{{Resource: resName, Permission: permGetAccessToken, Granted: granted,
			ResourceAttributes: map[string]any{}, PermissionType: "ADMIN_READ"}},
		ResourceName: resName,
		Request: map[string]any{"@type": "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest",
			"name": "projects/-/serviceAccounts/" + target.named},
		Metadata: map[string]any{"identityDelegationChain": chain},
	}
	severity := "INFO"
	if !granted {
		severity = "ERROR"
		al.Status = &rpcStatus{Code: 7, Message: "PERMISSION_DENIED"}
	}
	labels := map[string]string{"email_id": email, "project_id": p.ID}
	if target.sa != nil {
		labels["unique_id"] = uniqueID
	}
	c.writeAudit(&logEntry{LogName: logName(p.ID, logDataAccess),
		Resource:     monitoredResource{Type: "service_account", Labels: labels},
		ProtoPayload: al, Severity: severity})
}
