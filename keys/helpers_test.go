package keys_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

func saName(i int) string { return fmt.Sprintf("sa-%04d@demo-project.iam.gserviceaccount.com", i) }

func keyID(i int) string { return fmt.Sprintf("%040x", i+1) }

// keyProject serves demo-project with n service accounts (saName(i)), each
// holding one user-managed key (keyID(i)) made at start, a day ago; it
// returns the server, a client of it and start.
func keyProject(tb testing.TB, opts emulator.Options, n int) (*emulator.TestServer, *gcp.Client, time.Time) {
	tb.Helper()
	start := time.Now().Add(-24 * time.Hour)
	srv := emulator.NewTestServer(tb, opts)
	if err := srv.WithState(func(st *emulator.State) error {
		p := st.Projects["demo-project"]
		p.Services["iam.googleapis.com"] = true
		for i := range n {
			email := saName(i)
			p.ServiceAccounts[email] = &emulator.ServiceAccount{Email: email, AccountID: fmt.Sprintf("sa-%04d", i),
				UniqueID: fmt.Sprintf("1%020d", i), CreatedAt: start, Etag: "e", Policy: &emulator.Policy{},
				Keys: []*emulator.SAKey{{ID: keyID(i), KeyType: "USER_MANAGED", ValidAfter: start, ValidBefore: start.Add(time.Hour * 24 * 365)}}}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, c, start
}
