package wif

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// GitHubIssuerURI is GitHub Actions' OIDC issuer (the github preset's).
const GitHubIssuerURI = "https://token.actions.githubusercontent.com"

// GitHubAuthAction is the step that exchanges the job's OIDC token for
// Google credentials (github.com/google-github-actions/auth: inputs
// workload_identity_provider and service_account; the job needs
// `permissions: id-token: write` to get an OIDC token at all).
const GitHubAuthAction = "google-github-actions/auth@v2"

// GitHubStep is one workflow step.
type GitHubStep struct {
	ID   string            `yaml:"id,omitempty"`
	Name string            `yaml:"name,omitempty"`
	Uses string            `yaml:"uses,omitempty"`
	With map[string]string `yaml:"with,omitempty"`
	Run  string            `yaml:"run,omitempty"`
}

// GitHubJob is the part of a job fedctl fills in: its permissions and steps.
type GitHubJob struct {
	RunsOn      string            `yaml:"runs-on,omitempty"`
	Permissions map[string]string `yaml:"permissions"`
	Steps       []GitHubStep      `yaml:"steps"`
}

// githubPermissions: id-token: write lets the job request the OIDC token;
// contents: read keeps checkout working once permissions are explicit.
func githubPermissions() map[string]string {
	return map[string]string{"contents": "read", "id-token": "write"}
}

// GitHubAuthStep is the google-github-actions/auth step for provider (the
// full provider resource name) and serviceAccount ("" for direct
// federation, where the federated token itself is used).
func GitHubAuthStep(provider, serviceAccount string) GitHubStep {
	with := map[string]string{"workload_identity_provider": provider}
	if serviceAccount != "" {
		with["service_account"] = serviceAccount
	}
	return GitHubStep{ID: "auth", Uses: GitHubAuthAction, With: with}
}

// GitHubJobSnippet renders what a job needs, as YAML to paste into it: the
// permissions and the auth step.
func GitHubJobSnippet(provider, serviceAccount string) []byte {
	return encodeYAML(GitHubJob{Permissions: githubPermissions(), Steps: []GitHubStep{GitHubAuthStep(provider, serviceAccount)}})
}

type githubWorkflow struct {
	Name        string               `yaml:"name"`
	On          map[string]any       `yaml:"on"`
	Permissions map[string]string    `yaml:"permissions"`
	Jobs        map[string]GitHubJob `yaml:"jobs"`
}

// GitHubWorkflow renders a minimal workflow that authenticates through the
// provider and runs `bq query 'SELECT 1'` in project: a starting point that
// proves the federation from a real run.
func GitHubWorkflow(provider, serviceAccount, project string) []byte {
	w := githubWorkflow{
		Name:        "BigQuery via Workload Identity Federation",
		On:          map[string]any{"workflow_dispatch": map[string]any{}},
		Permissions: githubPermissions(),
		Jobs: map[string]GitHubJob{"query": {
			RunsOn:      "ubuntu-latest",
			Permissions: githubPermissions(),
			Steps: []GitHubStep{
				{Uses: "actions/checkout@v4"},
				GitHubAuthStep(provider, serviceAccount),
				{Uses: "google-github-actions/setup-gcloud@v2"},
				{Name: "Query BigQuery", Run: "bq query --project_id=" + project + " --nouse_legacy_sql 'SELECT 1'"},
			},
		}},
	}
	return append([]byte("# Written by fedctl setup: keyless BigQuery access from GitHub Actions.\n"), encodeYAML(w)...)
}

func encodeYAML(v any) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(v) // maps and structs of strings always encode
	_ = enc.Close()
	return b.Bytes()
}
