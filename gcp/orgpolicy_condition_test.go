package gcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	orgpolicy "google.golang.org/api/orgpolicy/v2"
)

// A project policy with a conditional rule and a dry-run spec, written by
// someone else: it does not read as enforced (the condition may not hold),
// and SetBooleanPolicy sets only the unconditional rule, keeping the
// conditional one and the dry-run spec.
func TestSetBooleanPolicyKeepsConditionsAndDryRun(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	w.enable("iam.googleapis.com")
	c, ctx := w.c, w.ctx
	svc, err := orgpolicy.NewService(ctx, option.WithEndpoint(w.ts.Endpoint+"orgpolicy/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: w.ts.Token})))
	if err != nil {
		t.Fatal(err)
	}
	cond := &orgpolicy.GoogleTypeExpr{Expression: "resource.matchTag('123/env', 'prod')", Title: "prod only", Description: "keys off in prod", Location: "policy.yaml:3"}
	name := "projects/" + project + "/policies/" + gcp.ConstraintDisableKeyCreation
	_, err = svc.Projects.Policies.Create("projects/"+project, &orgpolicy.GoogleCloudOrgpolicyV2Policy{
		Name: name,
		Spec: &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{Rules: []*orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{
			{Enforce: true, Condition: cond},
			{Enforce: false, ForceSendFields: []string{"Enforce"}},
		}},
		DryRunSpec: &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{Rules: []*orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{{Enforce: true}}},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	eff, err := c.GetEffectivePolicy(ctx, project, gcp.ConstraintDisableKeyCreation)
	if err != nil || eff.Enforced() {
		t.Fatalf("effective with only a conditional enforce rule = %+v, %v; want not enforced", eff, err)
	}
	own, err := c.GetOrgPolicy(ctx, project, gcp.ConstraintDisableKeyCreation)
	if err != nil || own == nil || len(own.Rules) != 2 || own.Rules[0].Condition == nil || own.Rules[0].Condition.Expression != cond.Expression || own.Enforced() {
		t.Fatalf("own policy = %+v, %v", own, err)
	}
	// The sandbox does not enforce a rule whose condition it cannot know holds.
	email := w.createSA("cond-sa")
	if _, err := c.CreateKey(ctx, email); err != nil {
		t.Fatalf("key under a conditional rule only: %v", err)
	}

	check := func(step string, enforce bool) {
		t.Helper()
		got, err := svc.Projects.Policies.Get(name).Do()
		if err != nil {
			t.Fatal(err)
		}
		var conds, plain int
		for _, r := range got.Spec.Rules {
			if r.Condition != nil {
				conds++
				if e := r.Condition; e.Expression != cond.Expression || e.Title != cond.Title || e.Description != cond.Description || e.Location != cond.Location || !r.Enforce {
					t.Errorf("%s: conditional rule = %+v / %+v", step, r, r.Condition)
				}
			} else {
				plain++
				if r.Enforce != enforce {
					t.Errorf("%s: unconditional enforce = %t", step, r.Enforce)
				}
			}
		}
		if conds != 1 || plain != 1 {
			t.Errorf("%s: %d conditional and %d unconditional rules, want 1 and 1", step, conds, plain)
		}
		if got.DryRunSpec == nil || len(got.DryRunSpec.Rules) != 1 || !got.DryRunSpec.Rules[0].Enforce {
			t.Errorf("%s: dry-run spec lost: %+v", step, got.DryRunSpec)
		}
		eff, err := c.GetEffectivePolicy(ctx, project, gcp.ConstraintDisableKeyCreation)
		if err != nil || eff.Enforced() != enforce {
			t.Errorf("%s: effective enforced = %t, %v", step, eff.Enforced(), err)
		}
	}
	if err := c.SetBooleanPolicy(ctx, project, gcp.ConstraintDisableKeyCreation, true); err != nil {
		t.Fatal(err)
	}
	check("enforce", true)
	if _, err := c.CreateKey(ctx, email); err == nil {
		t.Error("key created under an unconditional enforce rule")
	}
	if err := c.SetBooleanPolicy(ctx, project, gcp.ConstraintDisableKeyCreation, false); err != nil {
		t.Fatal(err)
	}
	check("stop enforcing", false)
}

// SetBooleanPolicy's patch carries the read etag: a conditional rule
// another writer adds between fedctl's read and its write makes the patch
// fail with 409 ABORTED, and the redone cycle keeps that rule.
func TestSetBooleanPolicyRetriesOnConflict(t *testing.T) {
	name := "projects/" + project + "/policies/" + gcp.ConstraintDisableKeyCreation
	var (
		mu      sync.Mutex
		armed   bool
		patches []string
		other   *orgpolicy.Service
	)
	ts := emulator.NewTestServerWrapped(t, emulator.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/policies/"+gcp.ConstraintDisableKeyCreation) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var in struct{ Etag string }
				_ = json.Unmarshal(body, &in)
				mu.Lock()
				patches = append(patches, in.Etag)
				first := armed
				armed = false
				mu.Unlock()
				if first {
					_, err := other.Projects.Policies.Patch(name, &orgpolicy.GoogleCloudOrgpolicyV2Policy{Name: name,
						Spec: &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{Rules: []*orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{
							{Enforce: true, Condition: &orgpolicy.GoogleTypeExpr{Expression: "resource.matchTag('123/env', 'prod')"}},
							{Enforce: false, ForceSendFields: []string{"Enforce"}},
						}}}).Context(r.Context()).Do()
					if err != nil {
						t.Error(err)
					}
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	var err error
	other, err = orgpolicy.NewService(ctx, option.WithEndpoint(ts.Endpoint+"orgpolicy/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ts.Token})))
	if err != nil {
		t.Fatal(err)
	}
	c, err := gcp.New(ctx, gcp.Config{Endpoint: ts.Endpoint, AccessToken: ts.Token,
		Retry: gcp.RetryPolicy{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetBooleanPolicy(ctx, project, gcp.ConstraintDisableKeyCreation, false); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	armed = true
	mu.Unlock()
	if err := c.SetBooleanPolicy(ctx, project, gcp.ConstraintDisableKeyCreation, true); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(patches) != 3 || patches[0] == "" || patches[2] == "" || patches[2] == patches[0] {
		t.Fatalf("patch etags = %q; want fedctl's with the read etag, the other writer's, fedctl's redone with a fresh one", patches)
	}
	p, err := c.GetOrgPolicy(ctx, project, gcp.ConstraintDisableKeyCreation)
	if err != nil || !p.Enforced() || len(p.Rules) != 2 {
		t.Fatalf("policy = %+v, %v; want the other writer's conditional rule and fedctl's enforce", p, err)
	}
}
