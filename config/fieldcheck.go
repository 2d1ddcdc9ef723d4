package config

import (
	"errors"
	"fmt"
)

// Single-value checks for interactive inputs (the wizard's huh fields take
// a func(string) error). Each returns nil or an error saying what is wrong
// and, where one is known, how to fix it — the same rules Validate applies.

// CheckEmail checks a user's email address.
func CheckEmail(s string) error {
	if why, fix := emailProblem(s); why != "" {
		return fieldErr(s, why, fix)
	}
	return nil
}

// CheckProjectID checks a project ID (legacy domain-scoped IDs allowed).
func CheckProjectID(p string) error {
	if p == "" {
		return errors.New("enter a project ID")
	}
	if why := projectIDProblem(p); why != "" {
		return fieldErr(p, why, "")
	}
	return nil
}

// CheckAccountID checks a service account ID (admin SA, target SA).
func CheckAccountID(id string) error {
	if why := accountIDProblem(id); why != "" {
		return fieldErr(id, why, "")
	}
	return nil
}

// CheckPoolID checks a workload identity pool or provider ID.
func CheckPoolID(id string) error {
	if why := poolIDProblem(id); why != "" {
		return fieldErr(id, why, "")
	}
	return nil
}

// CheckRole checks an IAM role name.
func CheckRole(r string) error {
	if why, fix := roleProblem(r); why != "" {
		return fieldErr(r, why, fix)
	}
	return nil
}

// CheckMember checks an IAM member that must be able to call Google
// (--verifier).
func CheckMember(m string) error {
	if why, fix := memberProblem(m); why != "" {
		return fieldErr(m, why, fix)
	}
	return nil
}

// CheckTemplate checks an identity template's syntax (placeholders,
// braces); rendering per user is RenderIdentity's job.
func CheckTemplate(t string) error {
	_, err := parseTemplate(t)
	return err
}

func fieldErr(v, why, fix string) error {
	if fix != "" {
		return fmt.Errorf("%q %s: %s", v, why, fix)
	}
	return fmt.Errorf("%q %s", v, why)
}
