package config

import (
	"strings"
	"testing"
	"time"
)

func TestHoopTokenTTLValidation(t *testing.T) {
	for _, tc := range []struct {
		policy string
		ttl    time.Duration
		want   string // "" = valid
	}{
		{"hoop.yaml", 8 * time.Hour, ""},
		{"hoop.yaml", 30 * time.Minute, ""},
		{"", time.Hour, "no --hoop-policy"},
		{"hoop.yaml", 13 * time.Hour, "1s–12h"},
		{"hoop.yaml", 1500 * time.Millisecond, "1s–12h"},
	} {
		c := &Config{Project: "demo-project", HoopPolicy: tc.policy, HoopTokenTTL: tc.ttl}
		c.SetUsers([]string{"alice@acme.com"})
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v with %q: %v", tc.ttl, tc.policy, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--hoop-token-ttl")):
			t.Errorf("%v with %q: %v, want a problem naming --hoop-token-ttl and %q", tc.ttl, tc.policy, err, tc.want)
		}
	}
}
