package emulator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/option"
)

// BenchmarkStateFileLargeProject measures service-account creates against
// a state file that already holds 10,000 accounts (about 5.5 MB), 16 at a
// time, as a 10,000-user --sandbox setup sends them. Reported: time per
// request (ms/request), the state file's saves per request, its size (MB)
// and one save's duration (ms/save: what each request cost when every
// request saved). Batched saves (state_sync.go) spread one save over many
// requests.
//
//	go test -bench StateFileLargeProject -run '^$' -benchtime 1x ./emulator/
func BenchmarkStateFileLargeProject(b *testing.B) {
	const existing, creates, conc = 10_000, 400, 16
	path := filepath.Join(b.TempDir(), "sandbox.json")
	s, err := New(Options{StatePath: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	err = s.WithState(func(st *State) error {
		p := st.Projects[DefaultSeed.ProjectID]
		p.Services[iamService] = true
		now := time.Now()
		for i := range existing {
			email := fmt.Sprintf("seed-%05d@%s", i, saEmailDomain(p.ID))
			p.ServiceAccounts[email] = &ServiceAccount{Email: email, AccountID: fmt.Sprintf("seed-%05d", i), UniqueID: newUniqueID(st),
				DisplayName: "fedctl: seed", Description: "BigQuery identity of a seeded user (fedctl, impersonation mode).", CreatedAt: now, Etag: newEtag(),
				Policy: &Policy{Version: 1, Etag: newEtag(), Bindings: []*Binding{{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"serviceAccount:fedctl-admin@" + saEmailDomain(p.ID)}}}}}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	svc, err := iam.NewService(context.Background(), option.WithEndpoint(hs.URL+"/iam/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.OperatorToken()})))
	if err != nil {
		b.Fatal(err)
	}
	stamp0, _, _ := readStamp(path)
	var elapsed time.Duration
	for it := 0; it < b.N; it++ {
		start := time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, conc)
		for i := range creates {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				id := fmt.Sprintf("bench-%d-%04d", it, i)
				if _, err := svc.Projects.ServiceAccounts.Create("projects/"+DefaultSeed.ProjectID, &iam.CreateServiceAccountRequest{AccountId: id}).Do(); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	s.mu.Lock()
	s.flushLocked()
	save := s.lastSave
	s.mu.Unlock()
	stamp1, _, _ := readStamp(path)
	n := float64(b.N * creates)
	b.ReportMetric(float64(elapsed.Milliseconds())/n, "ms/request")
	b.ReportMetric(float64(stamp1.gen-stamp0.gen)/n, "saves/request")
	b.ReportMetric(float64(stamp1.size)/1e6, "MB")
	b.ReportMetric(float64(save.Microseconds())/1e3, "ms/save")
}
