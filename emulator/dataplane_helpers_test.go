package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// Helpers of the data-plane tests (iamcredentials, oauth2, bigquery,
// logging). They seed state directly, so these tests do not depend on the
// IAM admin routes. Names carry a dp prefix to stay clear of other tests.

const dpProject = "demo-project"

var dpStart = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type dpEnv struct {
	*TestServer
	clock *FakeClock
}

func dpNew(t *testing.T, delay time.Duration) *dpEnv { return dpNewAt(t, delay, dpStart) }

// dpNewAt starts the emulator on a fake clock set to start.
func dpNewAt(t *testing.T, delay time.Duration, start time.Time) *dpEnv {
	t.Helper()
	clock := NewFakeClock(start)
	ts := NewTestServer(t, Options{Now: clock.Now, PropagationDelay: delay})
	return &dpEnv{TestServer: ts, clock: clock}
}

// state runs f on the locked state, failing the test on error.
func (e *dpEnv) state(t *testing.T, f func(st *State)) {
	t.Helper()
	if err := e.WithState(func(st *State) error { f(st); return nil }); err != nil {
		t.Fatal(err)
	}
}

// sa creates a service account in the seed project, visible at once.
func (e *dpEnv) sa(t *testing.T, accountID string) *ServiceAccount {
	t.Helper()
	email := accountID + "@" + dpProject + ".iam.gserviceaccount.com"
	var sa *ServiceAccount
	e.state(t, func(st *State) {
		n := st.NextSeq()
		sa = &ServiceAccount{Email: email, AccountID: accountID, UniqueID: fmt.Sprintf("1%020d", n),
			CreatedAt: e.clock.Now().Add(-time.Hour), Etag: newEtag(), Policy: &Policy{}}
		st.Projects[dpProject].ServiceAccounts[email] = sa
	})
	return sa
}

// grant adds member to role in the policy pol returns, stamping the grant
// time now (so it counts only after the propagation delay).
func (e *dpEnv) grant(t *testing.T, pol func(st *State) *Policy, role, member string) {
	t.Helper()
	e.state(t, func(st *State) {
		p := pol(st)
		old := p.clone()
		added := false
		for _, b := range p.Bindings {
			if b.Role == role && b.Condition == nil {
				b.Members = append(b.Members, member)
				added = true
			}
		}
		if !added {
			p.Bindings = append(p.Bindings, &Binding{Role: role, Members: []string{member}})
		}
		p.stampGrants(old, e.clock.Now())
	})
}

func (e *dpEnv) onProject() func(st *State) *Policy {
	return func(st *State) *Policy { return st.Projects[dpProject].Policy }
}

func (e *dpEnv) onSA(sa *ServiceAccount) func(st *State) *Policy {
	return func(st *State) *Policy { return st.Projects[dpProject].ServiceAccounts[sa.Email].Policy }
}

func (e *dpEnv) enable(t *testing.T, svc string, on bool) {
	e.state(t, func(st *State) { st.Projects[dpProject].Services[svc] = on })
}

// auditOn turns on a Data Access log type for a service in the project policy.
func (e *dpEnv) auditOn(t *testing.T, service, logType string) {
	e.state(t, func(st *State) {
		p := st.Projects[dpProject].Policy
		p.AuditConfigs = append(p.AuditConfigs, &AuditConfig{Service: service,
			AuditLogConfigs: []*AuditLogConfig{{LogType: logType}}})
	})
}

// as returns client options that call the emulator's service as principal.
func (e *dpEnv) as(token, service string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(e.Endpoint + service + "/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
	}
}

func (e *dpEnv) tokenFor(principal string) string {
	return e.MintToken(Identity{Principal: principal})
}

// entries decodes the log entries whose protoPayload.methodName is method.
func (e *dpEnv) entries(t *testing.T, method string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, raw := range e.LogEntries() {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("log entry is not JSON: %v", err)
		}
		if pp, _ := m["protoPayload"].(map[string]any); pp != nil && pp["methodName"] == method {
			out = append(out, m)
		}
	}
	return out
}

// dig walks a decoded JSON value by keys and array indexes.
func dpDig(v any, path ...any) any {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func dpReason(err error) string {
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		return ae.Reason()
	}
	return ""
}

func dpCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

func dpLegacyReason(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) && len(ge.Errors) > 0 {
		return ge.Errors[0].Reason
	}
	return ""
}

var dpCtx = context.Background()
