package engine

import (
	"io"
	"strings"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/iostreams"
)

// Summary is what setup (or teardown) did and what a gateway needs, shown
// after apply.
type Summary struct {
	FormatVersion string    `json:"format_version"`
	Operation     Operation `json:"operation"`
	Project       string    `json:"project"`
	ProjectNumber string    `json:"project_number,omitempty"`
	Mode          string    `json:"mode"`
	// Created, Updated and Deleted list the addresses applied.
	Created  []string  `json:"created"`
	Updated  []string  `json:"updated"`
	Deleted  []string  `json:"deleted"`
	Failed   []Outcome `json:"failed,omitempty"`
	Skipped  []string  `json:"skipped,omitempty"`
	Outcomes []Outcome `json:"outcomes"`

	AdminServiceAccount string        `json:"admin_service_account,omitempty"`
	Users               []UserSummary `json:"users"`
	Gateway             *Gateway      `json:"gateway,omitempty"`
	AdminKeyFile        string        `json:"admin_key_file,omitempty"`
	HoopPolicyFile      string        `json:"hoop_policy_file,omitempty"`
	// Hoop is how to install the policy file in Hoop (with --hoop-policy).
	Hoop     *HoopSummary `json:"hoop,omitempty"`
	Verifier string       `json:"verifier,omitempty"`
	// WIF holds the values an integrator pastes (wif mode).
	WIF *WIFOutputs `json:"wif,omitempty"`
	// AuditSink is the audit log sink and the SQL that reads its trail
	// (setup with audit.sink configured).
	AuditSink *SinkSummary `json:"audit_sink,omitempty"`
	// KeptDataset is the audit sink's dataset teardown left in place.
	KeptDataset string   `json:"kept_dataset,omitempty"`
	Warnings    []string `json:"warnings"`
}

// UserSummary maps a user to the service account that stands for them.
type UserSummary struct {
	User           string `json:"user"`
	ServiceAccount string `json:"service_account"`
}

// Gateway holds the values a Hoop gcp_iam gateway is configured with.
type Gateway struct {
	Project             string `json:"project_id"`
	AdminServiceAccount string `json:"admin_service_account"`
	// IdentityTemplate is fedctl's template; HoopIdentityTemplate the same
	// in Hoop's placeholders.
	IdentityTemplate     string `json:"identity_template"`
	HoopIdentityTemplate string `json:"hoop_identity_target_template"`
}

// HoopSummary is the Hoop policy written and the commands that install it.
type HoopSummary struct {
	Provider    string   `json:"builtin_provider"`
	PolicyFile  string   `json:"policy_file"`
	SetCommand  string   `json:"set_command"`
	TestCommand string   `json:"test_command"`
	Notes       []string `json:"notes"`
}

// HoopSummaryFor is the Hoop block for d (nil without --hoop-policy): the
// apply summary's, and a setup's with nothing to apply that still owes the
// operator the commands.
func HoopSummaryFor(d *Desired) *HoopSummary {
	if d.HoopPolicyFile == "" || hoopProvider(d) == "" {
		return nil
	}
	h := &HoopSummary{Provider: hoopProvider(d), PolicyFile: d.HoopPolicyFile, Notes: []string{}}
	h.SetCommand, h.TestCommand = HoopCommands(d)
	if h.Provider == HoopProviderIAM {
		h.Notes = append(h.Notes, HoopKeyNotice)
		if d.AdminKeyFile == "" && d.Admin != nil {
			h.Notes = append(h.Notes, "No key was written: rerun setup with --admin-key-file ADMIN_KEY.json (mode 0600) to create the one Hoop needs.")
		}
	} else {
		h.Notes = append(h.Notes, "--credentials-file is your OAuth client's JSON with client_id and client_secret; each user then connects their Google account once in Hoop.")
	}
	h.Notes = append(h.Notes, "CONNECTION is the name of your Hoop connection. Hoop keeps an email's case as typed: keep users' emails lowercase in its identity provider.")
	return h
}

// NewSummary summarises an apply.
func NewSummary(res *Result) *Summary {
	p, d := res.Plan, res.Plan.desired
	s := &Summary{
		FormatVersion: PlanFormatVersion,
		Operation:     p.Operation,
		Project:       p.Project,
		ProjectNumber: p.ProjectNumber,
		Mode:          string(p.Mode),
		Created:       []string{},
		Updated:       []string{},
		Deleted:       []string{},
		Outcomes:      res.Outcomes,
		Users:         []UserSummary{},
		Verifier:      d.Verifier,
		Warnings:      p.Warnings,
	}
	if s.Warnings == nil {
		s.Warnings = []string{}
	}
	for _, o := range res.Outcomes {
		switch o.Status {
		case OutcomeApplied:
			switch o.Action {
			case ActionCreate:
				s.Created = append(s.Created, o.Address)
			case ActionUpdate:
				s.Updated = append(s.Updated, o.Address)
			case ActionDelete:
				s.Deleted = append(s.Deleted, o.Address)
			}
		case OutcomeFailed:
			s.Failed = append(s.Failed, o)
		case OutcomeSkipped:
			s.Skipped = append(s.Skipped, o.Address)
		}
	}
	if p.Operation == OpTeardown {
		if d.Sink != nil && p.live != nil && p.live.Dataset != nil {
			s.KeptDataset = d.Sink.Project + ":" + d.Sink.Dataset
		}
		return s
	}
	s.WIF = d.WIFOutputs()
	s.Hoop = HoopSummaryFor(d)
	if s.Hoop != nil {
		s.HoopPolicyFile = d.HoopPolicyFile
	}
	if d.Sink != nil && sinkReady(res, d) {
		writer := res.sinkWriter
		if writer == "" && p.live != nil && p.live.Sink != nil {
			writer = audit.WriterEmail(p.live.Sink.WriterIdentity)
		}
		s.AuditSink = newSinkSummary(d.Sink, writer)
	}
	for _, id := range d.Identities {
		s.Users = append(s.Users, UserSummary{User: id.User, ServiceAccount: id.Email})
	}
	if d.Admin != nil {
		s.AdminServiceAccount = d.Admin.Email
		s.Gateway = &Gateway{
			Project:              d.Project,
			AdminServiceAccount:  d.Admin.Email,
			IdentityTemplate:     d.Template,
			HoopIdentityTemplate: NewHoopPolicy(d).IdentityTargetTemplate,
		}
		s.AdminKeyFile, s.HoopPolicyFile = d.AdminKeyFile, d.HoopPolicyFile
	}
	return s
}

// RenderSummaryJSON writes the summary as one JSON document.
func RenderSummaryJSON(w io.Writer, s *Summary) error { return writeJSON(w, s) }

// RenderSummaryText writes the summary for people.
func RenderSummaryText(w io.Writer, s *Summary, cs *iostreams.ColorScheme) error {
	tw := &errWriter{w: w}
	verb := s.Operation.summaryVerb()
	if len(s.Failed) > 0 || len(s.Skipped) > 0 {
		tw.printf("%s %s incomplete: %d failed, %d not started.\n", cs.FailureIcon(), verb, len(s.Failed), len(s.Skipped))
		for _, o := range s.Failed {
			tw.printf("  %s %s: %s\n", cs.Red("✗"), o.Address, o.Error)
		}
		why := map[string]string{}
		for _, o := range s.Outcomes {
			if o.Status == OutcomeSkipped && o.Cause != "" {
				why[o.Address] = " (not started: " + o.Cause + " failed)"
			}
		}
		for _, a := range s.Skipped {
			reason := why[a]
			if reason == "" {
				reason = " (not started)"
			}
			tw.printf("  %s %s\n", cs.Gray("·"), cs.Gray(a+reason))
		}
		for _, o := range s.Outcomes {
			if len(o.Omitted) > 0 {
				tw.printf("  %s %s written without %s (account not created; the next run adds them)\n", cs.Gray("·"), o.Address, strings.Join(o.Omitted, ", "))
			}
		}
	} else {
		tw.printf("%s %s complete: %d created, %d updated, %d destroyed.\n", cs.SuccessIcon(), verb, len(s.Created), len(s.Updated), len(s.Deleted))
	}
	if s.Gateway != nil {
		tw.printf("\n%s\n", cs.Bold("Gateway values"))
		tw.printf("  project:               %s\n", s.Gateway.Project)
		tw.printf("  admin service account: %s\n", s.Gateway.AdminServiceAccount)
		tw.printf("  identity template:     %s\n", s.Gateway.IdentityTemplate)
		tw.printf("  Hoop target template:  %s\n", s.Gateway.HoopIdentityTemplate)
		if s.AdminKeyFile != "" {
			tw.printf("  admin key file:        %s\n", s.AdminKeyFile)
		}
		if s.HoopPolicyFile != "" {
			tw.printf("  Hoop policy file:      %s\n", s.HoopPolicyFile)
		}
	}
	if h := s.Hoop; h != nil {
		renderHoop(tw, h, cs)
	}
	if w := s.WIF; w != nil {
		RenderWIFOutputs(tw, w, cs)
	}
	if s.KeptDataset != "" {
		tw.printf("\nAudit dataset %s kept: it holds the exported audit trail.\n", s.KeptDataset)
	}
	if len(s.Users) > 0 {
		tw.printf("\n%s\n", cs.Bold("Identities"))
		width := 0
		for _, u := range s.Users {
			width = max(width, len(u.User))
		}
		for _, u := range s.Users {
			tw.printf("  %s%s → %s\n", u.User, strings.Repeat(" ", width-len(u.User)), u.ServiceAccount)
		}
	}
	if s.AuditSink != nil {
		renderSinkSummary(tw, s.AuditSink, cs.Bold)
	}
	return tw.err
}

func renderHoop(tw *errWriter, h *HoopSummary, cs *iostreams.ColorScheme) {
	tw.printf("\n%s\n", cs.Bold("Hoop ("+h.Provider+")"))
	tw.printf("  policy file: %s\n", h.PolicyFile)
	tw.printf("  install it:  %s\n", h.SetCommand)
	tw.printf("  dry-run it:  %s\n", h.TestCommand)
	for _, n := range h.Notes {
		tw.printf("  %s\n", n)
	}
}

// RenderHoopSummaryTo writes the Hoop block alone.
func RenderHoopSummaryTo(w io.Writer, h *HoopSummary, cs *iostreams.ColorScheme) error {
	tw := &errWriter{w: w}
	renderHoop(tw, h, cs)
	return tw.err
}
