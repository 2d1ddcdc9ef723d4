package gcp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"
)

// Production mode keeps every client's default Google endpoint.
func TestProductionModeUsesGoogleEndpoints(t *testing.T) {
	c, err := New(context.Background(), Config{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})})
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		c.serviceUsage.BasePath: serviceUsageBase,
		c.crm.BasePath:          crmBase,
		c.iamAPI.BasePath:       iamBase,
		c.credsAPI.BasePath:     iamCredentialsBase,
		c.stsAPI.BasePath:       stsBase,
		c.loggingAPI.BasePath:   loggingBase,
		c.bigQueryAPI.BasePath:  bigQueryBase,
	} {
		if got != want {
			t.Errorf("BasePath = %q, want %q", got, want)
		}
	}
	if got := c.ServiceURL(oauth2TokenURL); got != oauth2TokenURL {
		t.Errorf("ServiceURL in production = %q", got)
	}
}

// Application Default Credentials are found in production mode (here from
// GOOGLE_APPLICATION_CREDENTIALS; no request is made) and their quota
// project is sent, except when impersonating.
func TestProductionModeReadsADC(t *testing.T) {
	kf := map[string]any{}
	if err := json.Unmarshal(testKeyFile(t, oauth2TokenURL), &kf); err != nil {
		t.Fatal(err)
	}
	kf["quota_project_id"] = "billing-proj"
	b, _ := json.Marshal(kf)
	path := filepath.Join(t.TempDir(), "adc.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)

	c, err := New(context.Background(), Config{UserAgent: "fedctl/test"})
	if err != nil {
		t.Fatal(err)
	}
	if qp := c.base.(*retryTransport).base.(*headerTransport).quotaProject; qp != "billing-proj" {
		t.Errorf("quota project = %q", qp)
	}
	c, err = New(context.Background(), Config{ImpersonateServiceAccount: "admin@p.iam.gserviceaccount.com"})
	if err != nil {
		t.Fatal(err)
	}
	if qp := c.base.(*retryTransport).base.(*headerTransport).quotaProject; qp != "" {
		t.Errorf("impersonating, quota project = %q, want none", qp)
	}
}

func TestNewRejectsBadEndpoint(t *testing.T) {
	if _, err := New(context.Background(), Config{Endpoint: "localhost:8086"}); err == nil {
		t.Error("a scheme-less endpoint was accepted")
	}
}
