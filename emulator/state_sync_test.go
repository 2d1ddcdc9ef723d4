package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// syncServer is one of several servers on one state file, serving over HTTP.
type syncServer struct {
	*Server
	iam *iam.Service
}

func newSyncServer(t *testing.T, opts Options) *syncServer {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &syncServer{Server: s, iam: cpIAMClient(t, hs.URL+"/", s.OperatorToken())}
}

func (s *syncServer) saEmails(t *testing.T) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	err := s.iam.Projects.ServiceAccounts.List("projects/"+cpProject).Pages(t.Context(), func(r *iam.ListServiceAccountsResponse) error {
		for _, sa := range r.Accounts {
			got[sa.Email] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Two servers open on one file at once (a `--follow` command and another
// command) see each other's writes request by request, and concurrent
// writes through both all land.
func TestServersShareStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := NewFakeClock(cpStart)
	opts := Options{StatePath: path, Now: clk.Now}
	a := newSyncServer(t, opts)
	b := newSyncServer(t, opts)
	if err := a.WithState(func(st *State) error { st.Projects[cpProject].Services[iamService] = true; return nil }); err != nil {
		t.Fatal(err)
	}

	sa, err := a.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: "first-robot"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.iam.Projects.ServiceAccounts.Get(sa.Name).Do(); err != nil || got.UniqueId != sa.UniqueId {
		t.Fatalf("b does not see a's account: %+v %v", got, err)
	}

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		wg.Go(func() {
			_, err := srv.iam.Projects.ServiceAccounts.Create("projects/"+cpProject,
				&iam.CreateServiceAccountRequest{AccountId: fmt.Sprintf("robot-%02d", i)}).Do()
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent create: %v", err)
		}
	}
	for name, srv := range map[string]*syncServer{"a": a, "b": b} {
		if got := srv.saEmails(t); len(got) != n+1 {
			t.Errorf("%s lists %d accounts, want %d (a lost update)", name, len(got), n+1)
		}
	}
	st, err := loadState(path)
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	if got := len(st.Projects[cpProject].ServiceAccounts); got != n+1 {
		t.Errorf("state file holds %d accounts, want %d", got, n+1)
	}
	// (Gen counts saves: one per write, or fewer when saves are batched.)
	if st.Gen < 1 {
		t.Errorf("gen %d after %d writes", st.Gen, n+1)
	}
}

// A server reloads the file only when another one wrote it: a mark left in
// its memory survives its own requests and goes when the other server saves.
func TestServerReloadsOnlyWhenFileChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	opts := Options{StatePath: path, Now: NewFakeClock(cpStart).Now}
	a := newSyncServer(t, opts)
	b := newSyncServer(t, opts)
	mark := func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.st.Projects[cpProject].Name == "marked"
	}
	if err := a.WithState(func(st *State) error { st.Projects[cpProject].Services[iamService] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.st.Projects[cpProject].Name = "marked" // in memory only, never saved
	a.mu.Unlock()

	if _, err := a.iam.Projects.ServiceAccounts.List("projects/" + cpProject).Do(); err != nil {
		t.Fatal(err)
	}
	if !mark() {
		t.Fatal("a reloaded an unchanged file")
	}
	if _, err := b.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: "b-robot"}).Do(); err != nil {
		t.Fatal(err)
	}
	if got := a.saEmails(t); len(got) != 1 {
		t.Errorf("a lists %v after b created one account", got)
	}
	if mark() {
		t.Error("a did not reload the file b wrote")
	}
}

// While another process holds the file lock, a request waits; it fails with
// the bounded-wait error after LockWait, and succeeds once the lock is free.
func TestRequestWaitsForStateLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := NewFakeClock(cpStart)
	arrived := make(chan struct{}, 1)
	impatient := newSyncServer(t, Options{StatePath: path, Now: clk.Now, LockWait: time.Nanosecond})
	patient := newSyncServer(t, Options{StatePath: path, Now: clk.Now, Hook: func(string, *http.Request) { arrived <- struct{}{} }})

	held, err := lockFile(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = impatient.iam.Projects.ServiceAccounts.List("projects/" + cpProject).Do()
	if ae := cpAPIError(t, err, 503); !strings.Contains(ae.Error(), "another fedctl process is using the sandbox state") {
		t.Errorf("locked: %v", err)
	}
	if err := impatient.WithState(func(*State) error { return nil }); err == nil || !strings.Contains(err.Error(), "stayed locked") {
		t.Errorf("WithState while locked: %v", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := patient.iam.Projects.ServiceAccounts.List("projects/" + cpProject).Do()
		done <- err
	}()
	<-arrived
	select {
	case err := <-done:
		t.Fatalf("request finished while the lock was held: %v", err)
	default:
	}
	if err := held.unlock(); err != nil {
		t.Fatal(err)
	}
	// IAM is off in a new project: the request got through to the handler.
	if err := <-done; err == nil || !strings.Contains(err.Error(), "SERVICE_DISABLED") {
		t.Errorf("after unlock: %v", err)
	}
}

// A state file that is valid JSON but holds no project ("{}") is reported
// as incomplete, with the way out, instead of failing requests oddly.
func TestIncompleteStateFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{StatePath: path})
	if err == nil || !strings.Contains(err.Error(), "fedctl sandbox reset") {
		t.Fatalf("New on {}: %v, want an error pointing at sandbox reset", err)
	}
}

// Batched saves (a state too large to rewrite per request): the writer
// keeps the file locked until it has saved, so another server waits and
// then sees every write; several writes cost one save.
func TestBatchedSavesStayVisibleToOtherServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	opts := Options{StatePath: path, Now: NewFakeClock(cpStart).Now}
	a := newSyncServer(t, opts)
	b := newSyncServer(t, opts)
	if err := a.WithState(func(st *State) error { st.Projects[cpProject].Services[iamService] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	before, _, err := readStamp(path)
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.batchDelay = time.Hour // saved only when flushed below
	a.mu.Unlock()

	const n = 5
	for i := range n {
		if _, err := a.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: fmt.Sprintf("batch-%02d", i)}).Do(); err != nil {
			t.Fatal(err)
		}
	}
	// a serves its own reads from memory meanwhile.
	if got := a.saEmails(t); len(got) != n {
		t.Fatalf("a lists %d accounts, want %d", len(got), n)
	}
	if now, _, _ := readStamp(path); now != before {
		t.Fatalf("the file was rewritten during the batch (gen %d → %d)", before.gen, now.gen)
	}
	// The unsaved writes keep the file locked: another process cannot
	// read a stale state.
	if l, err := lockFile(path, time.Nanosecond); err == nil {
		l.unlock()
		t.Fatal("the state file was unlocked with unsaved writes")
	}
	got := make(chan map[string]bool, 1)
	go func() { got <- b.saEmails(t) }()
	select {
	case m := <-got:
		t.Fatalf("b read the state during a's batch: %v", m)
	default:
	}
	a.flushBatch()
	if m := <-got; len(m) != n {
		t.Errorf("b lists %d accounts after a's batch, want %d", len(m), n)
	}
	after, _, err := readStamp(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.gen != before.gen+1 {
		t.Errorf("gen %d → %d: want one save for the batch", before.gen, after.gen)
	}
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Projects[cpProject].ServiceAccounts) != n {
		t.Errorf("file holds %d accounts, want %d", len(st.Projects[cpProject].ServiceAccounts), n)
	}
}

// Close saves a pending batch.
func TestCloseSavesPendingBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	s, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	s.batchDelay = time.Hour
	if err := s.WithState(func(st *State) error { st.Projects[cpProject].Name = "renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Projects[cpProject].Name != "renamed" {
		t.Error("Close lost the pending batch")
	}
	if l, err := lockFile(path, time.Nanosecond); err != nil {
		t.Errorf("the lock is still held after Close: %v", err)
	} else {
		l.unlock()
	}
}
