package fixhint

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"
)

func TestFedctlCarriesTheInvocation(t *testing.T) {
	in := Invocation{Project: "my-proj", Flags: []string{"--preset", "github", "--preset-values", "repository_owner_id=1,repository=acme/app"}}
	if got, want := in.Fedctl("setup", true), "fedctl setup --project my-proj --preset github --preset-values repository_owner_id=1,repository=acme/app"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	in = Invocation{Sandbox: true, Project: SandboxProject, Config: "my fed.yaml"}
	if got, want := in.Fedctl("verify", false, "--user", "a@b.com"), "fedctl --sandbox verify --config 'my fed.yaml' --user a@b.com"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestContextualizeOnTheSandbox(t *testing.T) {
	in := Invocation{Sandbox: true, Project: SandboxProject}
	setup := in.Fedctl("setup", true, "--users", "a@b.com")
	for fix, want := range map[string]string{
		"gcloud services enable iam.googleapis.com --project=demo-project":                                        setup,
		"gcloud iam service-accounts add-iam-policy-binding x --member=y --role=z --project=demo-project":         setup,
		"gcloud iam service-accounts enable fedctl-a@demo-project.iam.gserviceaccount.com --project=demo-project": setup,
		"fedctl audit enable --project demo-project":                                                              "fedctl --sandbox audit enable",
		"wait a few minutes, then: fedctl verify --user a@b.com":                                                  "wait a few minutes, then: fedctl --sandbox verify --user a@b.com",
		"fedctl --sandbox setup": "fedctl --sandbox setup",
		"oauth marks nothing, so fedctl leaves it: offboard with `fedctl teardown --mode oauth --user a@b.com`.": "oauth marks nothing, so fedctl leaves it: offboard with `fedctl --sandbox teardown --mode oauth --user a@b.com`.",
	} {
		if got := in.Contextualize(fix, setup); got != want {
			t.Errorf("%s:\n got  %s\n want %s", fix, got, want)
		}
	}
	if got := (Invocation{Project: "p"}).Contextualize("gcloud services enable x --project=p", "s"); got != "gcloud services enable x --project=p" {
		t.Errorf("outside the sandbox the fix changed: %s", got)
	}
}

func TestForErrorOnTheSandboxNamesFedctl(t *testing.T) {
	err := &googleapi.Error{Code: 403, Message: "disabled", Errors: []googleapi.ErrorItem{{Reason: "SERVICE_DISABLED"}}}
	fix := ForError(err, Invocation{Sandbox: true, Project: SandboxProject})
	if !strings.HasPrefix(fix, "fedctl --sandbox setup") || strings.Contains(fix, "gcloud") {
		t.Errorf("sandbox fix = %q", fix)
	}
	if fix := ForError(errors.New("boom"), Invocation{}); fix != "" {
		t.Errorf("a non-Google error got a fix: %q", fix)
	}
}
