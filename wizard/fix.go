package wizard

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// errorLine is an error in one line, for a row of the Apply screen.
func errorLine(err error) string {
	var ae *engine.ApplyError
	if errors.As(err, &ae) && ae.Err != nil {
		err = ae.Err
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// fixFor says what to do about an error from a Google call made for
// project: the fix shown inline under a failed step. Re-running setup is
// always safe (the plan converges), so most fixes end with it.
func fixFor(err error, project string) string {
	ge := gcp.Classify(err)
	if ge == nil {
		return "press r to retry"
	}
	switch ge.Kind {
	case gcp.KindServiceDisabled:
		svc := ge.Service
		if svc == "" {
			svc = "the API named above"
		}
		return fmt.Sprintf("gcloud services enable %s --project %s, then retry (enabling takes a minute to propagate)", svc, project)
	case gcp.KindPermissionDenied:
		perm := ""
		if ge.Permission != "" {
			perm = " (" + ge.Permission + ")"
		}
		return fmt.Sprintf("the signed-in account lacks a permission%s: use an account with roles/owner, or roles/iam.serviceAccountAdmin + roles/resourcemanager.projectIamAdmin + roles/serviceusage.serviceUsageAdmin on %s", perm, project)
	case gcp.KindUnauthenticated:
		return "sign in again: gcloud auth application-default login"
	case gcp.KindNotFound:
		return fmt.Sprintf("check the project ID (gcloud projects describe %s); for a service account just created, retry: IAM can take a minute to see it", project)
	case gcp.KindAborted:
		return "someone else changed the policy at the same time: press r to retry (fedctl re-reads it)"
	case gcp.KindRateLimited, gcp.KindUnavailable:
		return "Google is busy: press r to retry in a moment"
	case gcp.KindFailedPrecondition, gcp.KindInvalidArgument:
		return "read the message above; fix the answer (esc goes back) or the project, then retry"
	}
	return "press r to retry; a re-run applies only what is still missing"
}
