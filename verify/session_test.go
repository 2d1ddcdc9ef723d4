package verify

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// adminKey creates a user-managed key for the admin SA, as setup
// --admin-key-file does.
func (w *world) adminKey() []byte {
	w.t.Helper()
	key, err := w.c.CreateKey(context.Background(), w.admin())
	must(w.t, err)
	return key
}

func TestMintWithAdminKeyFile(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	o := w.opts("alice@acme.com")
	o.AdminKey, o.AdminKeyFile = w.adminKey(), "admin-key.json"
	rep := w.run(o)
	if rep.Failed() || rep.MintedBy != MintedByKeyFile {
		t.Fatalf("minted by %q:\n%s", rep.MintedBy, dump(rep))
	}
	c := wantRow(t, rep, CheckAdminKeys, w.admin(), Warn, "1 user-managed key(s)", "--admin-key-file is one of them")
	// The fix spares the gateway's key (SPEC §7.6).
	if !strings.HasSuffix(c.Fix, "--sa "+w.admin()+" --admin-key-file admin-key.json") {
		t.Errorf("fix = %q", c.Fix)
	}
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass, "via "+w.admin())
}

func TestAdminKeyFileForAnotherSA(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	key, err := w.c.CreateKey(context.Background(), w.sa("alice@acme.com"))
	must(t, err)
	o := w.opts("alice@acme.com")
	o.AdminKey, o.AdminKeyFile = key, "wrong.json"
	rep := w.run(o)
	wantRow(t, rep, CheckMint, "alice@acme.com", Fail, "wrong.json holds a key for "+w.sa("alice@acme.com")+", not for the admin SA")
}

// No output carries the token unless ShowToken asks for it.
func TestTokenNeverPrintedUnlessAsked(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	for _, show := range []bool{false, true} {
		o := w.opts("alice@acme.com")
		o.ShowToken = show
		rep := w.run(o)

		tok := rep.Users[0].Token
		if show != (tok != "") {
			t.Fatalf("show=%v: token in report = %q", show, tok)
		}
		if show && !strings.HasPrefix(tok, "ya29.fedctl.") {
			t.Fatalf("shown token = %q", tok)
		}
		var out bytes.Buffer
		must(t, RenderText(&out, rep, TextOptions{}))
		must(t, RenderText(&out, rep, TextOptions{TTY: true, Color: true, Width: 120}))
		must(t, RenderJSON(&out, rep))
		if p := rep.Users[0].TokenPrefix; !strings.HasPrefix(p, "ya29.") || !strings.HasSuffix(p, "…") {
			t.Errorf("token prefix = %q, want a masked token", p)
		}
		// Every minted token begins ya29.fedctl.; any run longer than
		// the mask would be the token itself.
		if n := strings.Count(out.String(), "ya29.fedctl."); show != (n > 0) {
			t.Errorf("show=%v: the token appears %d times in the output", show, n)
		}
	}
}

func TestMintSession(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	w.srv.ResetStats()
	s, err := MintSession(context.Background(), w.c, w.cfg, "Alice@acme.com", w.opts())
	must(t, err)
	if s.ServiceAccount != w.sa("alice@acme.com") || s.Via != w.admin() || s.Token == nil || s.Token.AccessToken == "" {
		t.Fatalf("session = %+v", s)
	}
	if n := w.srv.Stats().Total; n != 1 {
		t.Errorf("a working mint took %d requests, want 1", n)
	}
	// The token works for BigQuery as alice's SA.
	bq, err := w.c.BigQuery(context.Background(), testProject, staticTS(s.Token.AccessToken))
	must(t, err)
	defer bq.Close()
	if _, err := bq.Query("SELECT 1").Read(context.Background()); err != nil {
		t.Fatalf("query with the session token: %v", err)
	}

	w.revokeTokenCreator(w.sa("alice@acme.com"))
	_, err = MintSession(context.Background(), w.c, w.cfg, "alice@acme.com", w.opts())
	var me *MintError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a MintError", err)
	}
	for _, want := range []string{"Session would NOT start", "fix: gcloud iam service-accounts add-iam-policy-binding"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}
