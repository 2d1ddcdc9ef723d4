package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func sampleReport() *Report {
	rep := &Report{Project: "p1", Mode: "impersonation", MintedBy: MintedByDelegation,
		Checks: []Check{
			{Scope: ScopeProject, Name: CheckAPIEnabled, Subject: "iam.googleapis.com", Status: Pass, Seen: "enabled"},
			{Scope: ScopeProject, Name: CheckDataAccessLogs, Subject: "iam.googleapis.com", Status: Warn,
				Seen: "ADMIN_READ off: token mints (GenerateAccessToken) are not logged, so there is no evidence of who did what",
				Fix:  "fedctl audit enable --project p1"},
			{Scope: ScopeUser, Name: CheckMint, Subject: "bob@acme.com", Status: Fail,
				Seen: "403 IAM_PERMISSION_DENIED: Token Creator missing",
				Fix:  "gcloud iam service-accounts add-iam-policy-binding fedctl-bob@p1.iam.gserviceaccount.com --member=serviceAccount:fedctl-admin@p1.iam.gserviceaccount.com --role=roles/iam.serviceAccountTokenCreator --project=p1"},
		},
		Users: []UserVerdict{{Email: "bob@acme.com", SA: "fedctl-bob@p1.iam.gserviceaccount.com", Tested: true,
			Verdict: "Session would NOT start: token mint: 403"}},
	}
	rep.summarize()
	return rep
}

func TestRenderTextFitsTerminal(t *testing.T) {
	for _, width := range []int{80, 120, 200} {
		var b bytes.Buffer
		if err := RenderText(&b, sampleReport(), TextOptions{TTY: true, Color: true, Width: width}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, "\x1b[") {
			t.Errorf("width %d: no colour on a colour TTY", width)
		}
		for _, line := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(line); w > width {
				t.Errorf("width %d: line is %d wide: %q", width, w, ansi.Strip(line))
			}
		}
		plain := ansi.Strip(out)
		for _, want := range []string{"token mint", "bob@acme.com", "Session would NOT start", "1 failed, 1 warnings"} {
			if !strings.Contains(strings.Join(strings.Fields(plain), " "), want) {
				t.Errorf("width %d: output lacks %q:\n%s", width, want, plain)
			}
		}
	}
}

func TestRenderTextNoColor(t *testing.T) {
	for _, o := range []TextOptions{{TTY: true, Color: false, Width: 100}, {TTY: false, Color: true}} {
		var b bytes.Buffer
		if err := RenderText(&b, sampleReport(), o); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "\x1b[") {
			t.Errorf("%+v: escape codes without colour:\n%s", o, b.String())
		}
	}
}

func TestRenderTextPlainListsFixes(t *testing.T) {
	var b bytes.Buffer
	if err := RenderText(&b, sampleReport(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"FAIL    token mint",
		"[2] gcloud iam service-accounts add-iam-policy-binding fedctl-bob@p1.iam.gserviceaccount.com",
		"FAIL bob@acme.com: Session would NOT start",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestRenderJSONSchema(t *testing.T) {
	var b bytes.Buffer
	if err := RenderJSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, b.String())
	}
	for _, k := range []string{"project", "mode", "minted_by", "checks", "users", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	chk := doc["checks"].([]any)[2].(map[string]any)
	for k, want := range map[string]string{"scope": "user", "name": "token_mint", "subject": "bob@acme.com", "status": "fail"} {
		if chk[k] != want {
			t.Errorf("checks[2].%s = %v, want %s", k, chk[k], want)
		}
	}
	if !strings.Contains(chk["fix"].(string), "--role=roles/iam.serviceAccountTokenCreator") {
		t.Errorf("fix = %v", chk["fix"])
	}
	u := doc["users"].([]any)[0].(map[string]any)
	for _, k := range []string{"email", "service_account", "ok", "tested", "verdict"} {
		if _, ok := u[k]; !ok {
			t.Errorf("users[0] lacks %q", k)
		}
	}
	if _, ok := u["token"]; ok {
		t.Error("users[0] has a token without ShowToken")
	}
	s := doc["summary"].(map[string]any)
	if s["fail"] != 1.0 || s["warn"] != 1.0 || s["pass"] != 1.0 {
		t.Errorf("summary = %v", s)
	}
}
