package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// The bundle role's update is a read-modify-write guarded by the role's
// etag: an edit that lands between fedctl's read and its write makes IAM
// answer 409 ABORTED, and fedctl redoes the cycle from a fresh read
// instead of blindly overwriting.
func TestDataRoleBundleUpdateUsesEtag(t *testing.T) {
	name := BundleRoleName(testProject, DefaultDataRoleBundle)
	var (
		mu      sync.Mutex
		armed   bool
		patches []string // etag each roles.patch carried
		other   *gcp.Client
	)
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/"+name) {
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
					// A concurrent writer gets there first.
					cur, err := other.GetRole(r.Context(), name)
					if err != nil {
						t.Error(err)
					} else if _, err := other.UpdateCustomRole(r.Context(), &gcp.Role{Name: name, Title: "edited meanwhile", Description: cur.Description, Permissions: cur.Permissions}); err != nil {
						t.Error(err)
					}
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newEnvWrapped(t, emulator.Options{}, nil, wrap)
	other = newClient(t, e.srv, e.slept)
	ctx := context.Background()
	cfg := testConfig(t, "alice@acme.com")
	cfg.Preflight.DataRoleBundle = DefaultDataRoleBundle
	e.setup(t, cfg)
	role, err := e.client.GetRole(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	want := sortedCopy(role.Permissions)
	// Someone drops a permission: setup plans an update.
	if _, err := e.client.UpdateCustomRole(ctx, &gcp.Role{Name: name, Title: role.Title, Description: role.Description, Permissions: role.Permissions[1:]}); err != nil {
		t.Fatal(err)
	}
	p := e.plan(t, cfg)
	if c := p.Change(bundleAddress); c == nil || c.Action != ActionUpdate {
		t.Fatalf("bundle change = %+v", c)
	}
	mu.Lock()
	armed, patches = true, nil
	mu.Unlock()
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(patches) != 3 || patches[0] == "" || patches[2] == "" || patches[2] == patches[0] {
		t.Fatalf("roles.patch etags = %q; want fedctl's write with the read etag, refused after the concurrent edit, then redone with a fresh one", patches)
	}
	got, err := e.client.GetRole(ctx, name)
	if err != nil || !slices.Equal(sortedCopy(got.Permissions), want) {
		t.Fatalf("role after apply: %+v, %v; want permissions %v", got, err, want)
	}
}
