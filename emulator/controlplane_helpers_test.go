package emulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	crmv3 "google.golang.org/api/cloudresourcemanager/v3"
	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/option"
	su "google.golang.org/api/serviceusage/v1"
)

// Helpers of the control-plane API tests (serviceusage, crm, iam). Their
// names start with "cp" to stay apart from the other APIs' test helpers.

const cpProject = "demo-project"
const cpNumber = "123456789012"

var cpStart = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// cpEnv is an emulator with a fake clock and the real Google clients,
// authenticated as the operator.
type cpEnv struct {
	t    *testing.T
	ctx  context.Context
	ts   *TestServer
	clk  *FakeClock
	su   *su.Service
	crm  *crmv1.Service
	crm3 *crmv3.Service
	iam  *iam.Service
}

func cpNew(t *testing.T, opts Options) *cpEnv {
	t.Helper()
	clk := NewFakeClock(cpStart)
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	ts := NewTestServer(t, opts)
	e := &cpEnv{t: t, ctx: context.Background(), ts: ts, clk: clk}
	e.su, e.crm, e.crm3, e.iam = e.clients(ts.Token)
	return e
}

// clients builds the four clients for a bearer token ("" = no credentials).
func (e *cpEnv) clients(token string) (*su.Service, *crmv1.Service, *crmv3.Service, *iam.Service) {
	e.t.Helper()
	opt := func(svc string) []option.ClientOption {
		o := []option.ClientOption{option.WithEndpoint(e.ts.Endpoint + svc + "/")}
		if token == "" {
			return append(o, option.WithoutAuthentication())
		}
		return append(o, option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	}
	s, err := su.NewService(e.ctx, opt("serviceusage")...)
	if err != nil {
		e.t.Fatal(err)
	}
	c1, err := crmv1.NewService(e.ctx, opt("cloudresourcemanager")...)
	if err != nil {
		e.t.Fatal(err)
	}
	c3, err := crmv3.NewService(e.ctx, opt("cloudresourcemanager")...)
	if err != nil {
		e.t.Fatal(err)
	}
	i, err := iam.NewService(e.ctx, opt("iam")...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s, c1, c3, i
}

// enable turns services on directly in the state.
func (e *cpEnv) enable(services ...string) {
	e.t.Helper()
	if err := e.ts.WithState(func(st *State) error {
		for _, s := range services {
			st.Projects[cpProject].Services[s] = true
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// createSA creates an account through the API.
func (e *cpEnv) createSA(id string) *iam.ServiceAccount {
	e.t.Helper()
	sa, err := e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject,
		&iam.CreateServiceAccountRequest{AccountId: id, ServiceAccount: &iam.ServiceAccount{DisplayName: "SA " + id}}).Do()
	if err != nil {
		e.t.Fatalf("create %s: %v", id, err)
	}
	return sa
}

func cpSAEmail(id string) string { return id + "@" + cpProject + ".iam.gserviceaccount.com" }

// cpGoogleErr asserts err is a *googleapi.Error with the HTTP code.
func cpGoogleErr(t *testing.T, err error, code int) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("want *googleapi.Error %d, got %T %v", code, err, err)
	}
	if ge.Code != code {
		t.Fatalf("want HTTP %d, got %d: %v", code, ge.Code, err)
	}
	return ge
}

// cpLegacyReason is errors[0].reason of a Google error ("" when absent).
func cpLegacyReason(t *testing.T, err error, code int) string {
	t.Helper()
	ge := cpGoogleErr(t, err, code)
	if len(ge.Errors) == 0 {
		return ""
	}
	return ge.Errors[0].Reason
}

// cpAPIError is the gax APIError of a Google error (ErrorInfo parsing).
func cpAPIError(t *testing.T, err error, code int) *apierror.APIError {
	t.Helper()
	cpGoogleErr(t, err, code)
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("no apierror.APIError in %v", err)
	}
	return ae
}
