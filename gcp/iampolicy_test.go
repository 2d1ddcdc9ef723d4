package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
)

// policyServer is a small fake of getIamPolicy / setIamPolicy with etags,
// for both crm v1 (project) and iam v1 (service account) paths.
type policyServer struct {
	mu       sync.Mutex
	policy   cloudresourcemanager.Policy // the wire shape is the same for iam v1
	etagSeq  int
	sets     int
	getBody  []string // what getIamPolicy calls sent (body or query)
	setBody  []string
	onSet    func(ps *policyServer) // runs before a set is checked (a concurrent writer)
	setsMade int
}

func (ps *policyServer) bumpEtag() {
	ps.etagSeq++
	ps.policy.Etag = fmt.Sprintf("etag-%d", ps.etagSeq)
}

func (ps *policyServer) handle(w http.ResponseWriter, r *request) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	switch {
	case strings.HasSuffix(r.Path, ":getIamPolicy"):
		ps.getBody = append(ps.getBody, r.Body+"?"+r.Query)
		b, _ := json.Marshal(ps.policy)
		reply(w, 200, string(b))
	case strings.HasSuffix(r.Path, ":setIamPolicy"):
		ps.setBody = append(ps.setBody, r.Body)
		ps.sets++
		if ps.onSet != nil {
			ps.onSet(ps)
		}
		var req cloudresourcemanager.SetIamPolicyRequest
		if err := json.Unmarshal([]byte(r.Body), &req); err != nil {
			reply(w, 400, `{"error":{"code":400,"message":"bad json","status":"INVALID_ARGUMENT"}}`)
			return
		}
		if req.Policy.Etag != "" && req.Policy.Etag != ps.policy.Etag {
			reply(w, 409, abortedBody)
			return
		}
		ps.policy.Bindings = req.Policy.Bindings
		ps.policy.Version = req.Policy.Version
		if strings.Contains(req.UpdateMask, "auditConfigs") {
			ps.policy.AuditConfigs = req.Policy.AuditConfigs
		}
		ps.bumpEtag()
		ps.setsMade++
		b, _ := json.Marshal(ps.policy)
		reply(w, 200, string(b))
	default:
		reply(w, 404, `{"error":{"code":404,"message":"no route","status":"NOT_FOUND"}}`)
	}
}

func newPolicyServer(t *testing.T) (*policyServer, *fakeGoogle) {
	ps := &policyServer{}
	ps.policy = cloudresourcemanager.Policy{
		Version: 3,
		Bindings: []*cloudresourcemanager.Binding{
			{Role: "roles/owner", Members: []string{"user:operator@example.com"}},
			{Role: "roles/bigquery.jobUser", Members: []string{"user:temp@example.com"},
				Condition: &cloudresourcemanager.Expr{Title: "temp", Expression: "request.time < timestamp('2030-01-01T00:00:00Z')"}},
		},
	}
	ps.bumpEtag()
	return ps, newFakeGoogle(t, ps.handle)
}

func addMember(role, member string) func(*Policy) (bool, error) {
	return func(p *Policy) (bool, error) { return p.AddMember(role, member), nil }
}

func TestModifyPolicyConvergesAfterConcurrentWrite(t *testing.T) {
	ps, f := newPolicyServer(t)
	// Another writer lands between our read and our first write.
	ps.onSet = func(ps *policyServer) {
		if ps.sets == 1 {
			ps.policy.Bindings = append(ps.policy.Bindings, &cloudresourcemanager.Binding{Role: "roles/viewer", Members: []string{"user:other@example.com"}})
			ps.bumpEtag()
		}
	}
	c, s := newTestClient(t, f, nil)
	runs := 0
	final, written, err := c.ModifyPolicy(context.Background(), c.ProjectPolicy("p"), func(p *Policy) (bool, error) {
		runs++
		return p.AddMember("roles/bigquery.jobUser", "user:alice@example.com"), nil
	})
	if err != nil || !written {
		t.Fatalf("ModifyPolicy: written=%v err=%v", written, err)
	}
	if runs != 2 || ps.sets != 2 || ps.setsMade != 1 || len(s.recorded()) != 1 {
		t.Errorf("runs=%d sets=%d made=%d waits=%v; want one conflict then one write", runs, ps.sets, ps.setsMade, s.recorded())
	}
	for _, want := range [][2]string{
		{"roles/viewer", "user:other@example.com"},           // the concurrent writer's
		{"roles/bigquery.jobUser", "user:alice@example.com"}, // ours
		{"roles/owner", "user:operator@example.com"},
	} {
		if !final.HasMember(want[0], want[1]) {
			t.Errorf("final policy lacks %s %s: %+v", want[0], want[1], final.Bindings)
		}
	}
	// The conditional jobUser binding survived, still conditional, untouched.
	var cond *Binding
	for _, b := range final.Bindings {
		if b.Condition != nil {
			cond = b
		}
	}
	if cond == nil || cond.Role != "roles/bigquery.jobUser" || len(cond.Members) != 1 || cond.Members[0] != "user:temp@example.com" {
		t.Errorf("conditional binding = %+v", cond)
	}
	if final.Etag != "etag-3" {
		t.Errorf("final etag = %q, want the server's latest", final.Etag)
	}

	// Wire: v3 reads, v3 writes with the etag just read and the audit mask.
	if !strings.Contains(ps.getBody[0], `"requestedPolicyVersion":3`) {
		t.Errorf("getIamPolicy body = %s", ps.getBody[0])
	}
	var sent cloudresourcemanager.SetIamPolicyRequest
	if err := json.Unmarshal([]byte(ps.setBody[1]), &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Policy.Version != 3 || sent.Policy.Etag != "etag-2" || sent.UpdateMask != "bindings,etag,auditConfigs" {
		t.Errorf("second set sent version=%d etag=%q mask=%q", sent.Policy.Version, sent.Policy.Etag, sent.UpdateMask)
	}
}

func TestModifyPolicyNoChangeNoWrite(t *testing.T) {
	ps, f := newPolicyServer(t)
	c, _ := newTestClient(t, f, nil)
	final, written, err := c.ModifyPolicy(context.Background(), c.ProjectPolicy("p"), addMember("roles/owner", "user:operator@example.com"))
	if err != nil || written || ps.sets != 0 {
		t.Fatalf("written=%v sets=%d err=%v; want no write", written, ps.sets, err)
	}
	if final.Etag != "etag-1" || len(final.Bindings) != 2 {
		t.Errorf("final = %+v, want the policy as read", final)
	}
}

func TestModifyPolicyEditErrorStopsWithoutWrite(t *testing.T) {
	ps, f := newPolicyServer(t)
	c, s := newTestClient(t, f, nil)
	boom := errors.New("refusing")
	_, written, err := c.ModifyPolicy(context.Background(), c.ProjectPolicy("p"), func(p *Policy) (bool, error) {
		p.AddMember("roles/owner", "user:x@example.com")
		return true, boom
	})
	if err != boom || written || ps.sets != 0 || len(s.recorded()) != 0 {
		t.Errorf("err=%v written=%v sets=%d waits=%v", err, written, ps.sets, s.recorded())
	}
}

func TestModifyPolicyGivesUpAfterBoundedConflicts(t *testing.T) {
	ps, f := newPolicyServer(t)
	ps.onSet = func(ps *policyServer) { ps.bumpEtag() } // someone always wins the race
	c, s := newTestClient(t, f, func(cfg *Config) { cfg.Retry.Attempts = 4 })
	_, written, err := c.ModifyPolicy(context.Background(), c.ProjectPolicy("p"), addMember("roles/viewer", "user:a@example.com"))
	if !IsAborted(err) || written {
		t.Fatalf("err=%v written=%v, want KindAborted", err, written)
	}
	if ps.sets != 4 || len(s.recorded()) != 3 {
		t.Errorf("sets=%d waits=%v, want 4 tries", ps.sets, s.recorded())
	}
}

func TestServiceAccountPolicyWire(t *testing.T) {
	ps, f := newPolicyServer(t)
	c, _ := newTestClient(t, f, nil)
	const sa = "runner@p.iam.gserviceaccount.com"
	r := c.ServiceAccountPolicy(sa)
	if r.Name() != "projects/p/serviceAccounts/"+sa {
		t.Errorf("Name = %q", r.Name())
	}
	_, written, err := c.ModifyPolicy(context.Background(), r, addMember("roles/iam.serviceAccountTokenCreator", "user:alice@example.com"))
	if err != nil || !written {
		t.Fatalf("written=%v err=%v", written, err)
	}
	want := []string{
		"POST /iam/v1/projects/p/serviceAccounts/" + sa + ":getIamPolicy",
		"POST /iam/v1/projects/p/serviceAccounts/" + sa + ":setIamPolicy",
	}
	if got := f.paths(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths = %q, want %q", got, want)
	}
	if !strings.Contains(ps.getBody[0], "options.requestedPolicyVersion=3") {
		t.Errorf("SA getIamPolicy query = %q, want options.requestedPolicyVersion=3", ps.getBody[0])
	}
	var sent cloudresourcemanager.SetIamPolicyRequest
	_ = json.Unmarshal([]byte(ps.setBody[0]), &sent)
	if sent.Policy.Version != 3 || sent.Policy.Etag != "etag-1" {
		t.Errorf("SA set sent version=%d etag=%q", sent.Policy.Version, sent.Policy.Etag)
	}
	if ps.policy.Bindings[1].Condition == nil {
		t.Error("the conditional binding lost its condition on write")
	}
}
