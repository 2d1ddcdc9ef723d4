package config

import (
	"reflect"
	"testing"
)

func TestRequiredAPIs(t *testing.T) {
	base := []string{"iamcredentials.googleapis.com", "bigquery.googleapis.com", "iam.googleapis.com"}
	for _, m := range []Mode{ModeImpersonation, ModeOAuth} {
		if got := RequiredAPIs(m); !reflect.DeepEqual(got, base) {
			t.Errorf("%s: %v", m, got)
		}
	}
	if got := RequiredAPIs(ModeWIF); !reflect.DeepEqual(got, append(base, "sts.googleapis.com")) {
		t.Errorf("wif: %v", got)
	}
	if got := (&Config{}).RequiredAPIs(); !reflect.DeepEqual(got, base) {
		t.Errorf("default mode: %v", got)
	}
}

func TestApplyDefaults(t *testing.T) {
	c := &Config{}
	c.ApplyDefaults()
	want := Config{Mode: ModeImpersonation, Impersonation: Impersonation{
		AdminServiceAccount: "fedctl-admin",
		IdentityTemplate:    "fedctl-{user.email}@{project}.iam.gserviceaccount.com",
		Grant:               GrantPerUser,
		Roles:               []string{"roles/bigquery.user", "roles/bigquery.dataViewer"},
	}}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults\n%+v\nwant\n%+v", *c, want)
	}

	w := &Config{Mode: ModeWIF}
	w.ApplyDefaults()
	if !reflect.DeepEqual(w.WIF.Roles, []string{"roles/bigquery.jobUser", "roles/bigquery.dataViewer"}) ||
		!reflect.DeepEqual(w.WIF.Provider.AttributeMapping, map[string]string{"google.subject": "assertion.sub"}) {
		t.Errorf("wif defaults %+v", w.WIF)
	}
	if w.Impersonation.AdminServiceAccount != "" {
		t.Error("defaults must not fill inactive sections")
	}

	o := &Config{Mode: ModeOAuth, OAuth: OAuth{Roles: []string{"roles/bigquery.dataEditor"}}}
	o.ApplyDefaults()
	if !reflect.DeepEqual(o.OAuth.Roles, []string{"roles/bigquery.dataEditor"}) {
		t.Errorf("set roles must be kept: %v", o.OAuth.Roles)
	}

	// DefaultRoles hands out fresh slices.
	r := DefaultRoles(ModeOAuth)
	r[0] = "mutated"
	if DefaultRoles(ModeOAuth)[0] != "roles/bigquery.user" {
		t.Error("DefaultRoles shares its backing array")
	}
	if got := (Sink{Location: "EU"}).WithDefaults(); got != (Sink{Name: DefaultSinkName, Dataset: DefaultSinkDataset, Location: "EU"}) {
		t.Errorf("sink defaults %+v", got)
	}
}
