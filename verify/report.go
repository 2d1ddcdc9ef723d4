package verify

import (
	"fmt"

	"github.com/fedctl/fedctl/config"
)

// Report is the whole verification table of one run.
type Report struct {
	Project string      `json:"project"`
	Mode    config.Mode `json:"mode"`
	// MintedBy says how verify minted as the admin: "admin-key-file",
	// "delegation" (keyless, from the operator through the admin SA) or
	// "" when no mint was attempted.
	MintedBy string        `json:"minted_by,omitempty"`
	Checks   []Check       `json:"checks"`
	Users    []UserVerdict `json:"users"`
	Summary  Summary       `json:"summary"`
}

// UserVerdict answers, for one identity: would a session start, as whom,
// through whom.
type UserVerdict struct {
	Email string `json:"email"`
	// SA is the service account the session runs as.
	SA string `json:"service_account,omitempty"`
	// Via is the identity that mints the session token (the admin SA).
	Via string `json:"via,omitempty"`
	// TTLSeconds is the minted token's remaining lifetime.
	TTLSeconds int64 `json:"ttl_seconds,omitempty"`
	// TokenPrefix is the masked minted token (gcp.Mask).
	TokenPrefix string `json:"token_prefix,omitempty"`
	// Token is the minted token itself, only with Options.ShowToken.
	Token string `json:"token,omitempty"`
	// OK: the mint and the probe passed and no check of this user failed.
	OK bool `json:"ok"`
	// Tested: a live mint was attempted (false when verify cannot mint as
	// the admin, or the template did not render).
	Tested  bool   `json:"tested"`
	Verdict string `json:"verdict"`
}

// Summary counts checks by status.
type Summary struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Warn int `json:"warn"`
	Skip int `json:"skip"`
	// Unchecked counts the checks Google's transient failures kept verify
	// from making.
	Unchecked int `json:"could_not_check"`
}

// Failed reports whether any check failed or could not be made (exit 3).
func (r *Report) Failed() bool { return r.Summary.Fail > 0 || r.Summary.Unchecked > 0 }

// Unchecked is the first check that could not be made (nil: none).
func (r *Report) Unchecked() *Check {
	for i := range r.Checks {
		if r.Checks[i].Status == Unchecked {
			return &r.Checks[i]
		}
	}
	return nil
}

// FailureMessage is the one-line reason of a failed run: "could not check:
// …" when a check could not be made, else how many checks failed.
func (r *Report) FailureMessage() string {
	if c := r.Unchecked(); c != nil {
		msg := fmt.Sprintf("could not check: %s (%s): %s", Title(c.Name), c.Subject, c.Seen)
		if n := r.Summary.Unchecked; n > 1 {
			msg += fmt.Sprintf(" (and %d more)", n-1)
		}
		if r.Summary.Fail > 0 {
			msg += fmt.Sprintf("; %d of %d checks failed", r.Summary.Fail, len(r.Checks))
		}
		return msg
	}
	return fmt.Sprintf("%d of %d checks failed", r.Summary.Fail, len(r.Checks))
}

// Recount recomputes the summary from the rows (after merging reports).
func (r *Report) Recount() { r.summarize() }

func (r *Report) summarize() {
	r.Summary = Summary{}
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			r.Summary.Pass++
		case Fail:
			r.Summary.Fail++
		case Warn:
			r.Summary.Warn++
		case Skip:
			r.Summary.Skip++
		case Unchecked:
			r.Summary.Unchecked++
		}
	}
}
