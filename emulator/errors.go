package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is a Google error reply. Handlers return it; the server writes it
// as {"error":{...}} (OnePlatform/apiary style) or, for STS and the oauth2
// endpoint, as an OAuth2 error object.
type apiError struct {
	HTTP    int
	Status  string // google.rpc.Code name, e.g. PERMISSION_DENIED
	Message string
	// Reason, when set, adds the legacy errors[] item {message, domain, reason}.
	// Production sends it on BigQuery and on many IAM/CRM 4xx (gcp-wire §11.3);
	// its presence disables apierror detail parsing in the Go client, as in
	// production.
	Reason string
	Domain string // for errors[]; default "global"
	// ItemMessage, Location and LocationType refine the errors[] item where
	// Google's differs from the top-level message (BigQuery's 401s).
	ItemMessage, Location, LocationType string
	// Details are google.rpc detail objects, each with "@type".
	Details []map[string]any
	// OAuth, when set, makes this an OAuth2-style error body
	// {"error": OAuth, "error_description": Message} (STS, oauth2 token).
	OAuth string
	// HTML, when set, replies with Google's HTML error page (unknown routes).
	HTML bool
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.HTTP, e.Status, e.Message) }

func (e *apiError) write(w http.ResponseWriter) {
	switch {
	case e.HTML:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(e.HTTP)
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error %d (Not Found)!!1</title>\n  <p><b>%d.</b> <ins>That’s an error.</ins>\n  <p>%s  <ins>That’s all we know.</ins>\n", e.HTTP, e.HTTP, htmlEscape(e.Message))
		return
	case e.OAuth != "":
		writeJSON(w, e.HTTP, map[string]string{"error": e.OAuth, "error_description": e.Message})
		return
	}
	body := map[string]any{"code": e.HTTP, "message": e.Message}
	if e.Status != "" {
		body["status"] = e.Status
	}
	if e.Reason != "" {
		dom := e.Domain
		if dom == "" {
			dom = "global"
		}
		item := map[string]string{"message": e.Message, "domain": dom, "reason": e.Reason}
		if e.ItemMessage != "" {
			item["message"] = e.ItemMessage
		}
		if e.Location != "" {
			item["location"], item["locationType"] = e.Location, e.LocationType
		}
		body["errors"] = []map[string]string{item}
	}
	if len(e.Details) > 0 {
		body["details"] = e.Details
	}
	writeJSON(w, e.HTTP, map[string]any{"error": body})
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// Constructors for the error shapes production sends.

func errNotFoundHTML(path string) *apiError {
	return &apiError{HTTP: 404, HTML: true, Message: fmt.Sprintf("The requested URL <code>%s</code> was not found on this server.", path)}
}

func errInvalid(msg string) *apiError {
	return &apiError{HTTP: 400, Status: "INVALID_ARGUMENT", Message: msg}
}

// errBadRequest is INVALID_ARGUMENT with the legacy errors[] item (IAM/CRM style).
func errBadRequest(msg string) *apiError {
	return &apiError{HTTP: 400, Status: "INVALID_ARGUMENT", Message: msg, Reason: "badRequest"}
}

func errNotFound(msg string) *apiError {
	return &apiError{HTTP: 404, Status: "NOT_FOUND", Message: msg}
}

func errAlreadyExists(msg string) *apiError {
	return &apiError{HTTP: 409, Status: "ALREADY_EXISTS", Message: msg}
}

func errFailedPrecondition(msg string) *apiError {
	return &apiError{HTTP: 400, Status: "FAILED_PRECONDITION", Message: msg}
}

// errAborted is the etag-mismatch reply of setIamPolicy (gcp-wire §2.3).
func errAborted() *apiError {
	return &apiError{HTTP: 409, Status: "ABORTED", Reason: "aborted",
		Message: "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff."}
}

// errIAMPermissionDenied is the IAM / iamcredentials 403 (gcp-wire §6.1).
func errIAMPermissionDenied(permission string) *apiError {
	return &apiError{HTTP: 403, Status: "PERMISSION_DENIED",
		Message: fmt.Sprintf("Permission '%s' denied on resource (or it may not exist).", permission),
		Details: []map[string]any{{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "IAM_PERMISSION_DENIED",
			"domain":   "iam.googleapis.com",
			"metadata": map[string]string{"permission": permission},
		}}}
}

func errUnauthenticated(reason string) *apiError {
	msg := "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	if reason == "CREDENTIALS_MISSING" {
		msg = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	}
	return &apiError{HTTP: 401, Status: "UNAUTHENTICATED", Message: msg,
		Details: []map[string]any{{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": reason,
			"domain": "googleapis.com",
		}}}
}

// serviceTitles are the display names Google uses in SERVICE_DISABLED messages.
var serviceTitles = map[string]string{
	"iam.googleapis.com":                  "Identity and Access Management (IAM) API",
	"iamcredentials.googleapis.com":       "IAM Service Account Credentials API",
	"sts.googleapis.com":                  "Security Token Service API",
	"bigquery.googleapis.com":             "BigQuery API",
	"logging.googleapis.com":              "Cloud Logging API",
	"cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
	"serviceusage.googleapis.com":         "Service Usage API",
}

func serviceTitle(svc string) string {
	if t, ok := serviceTitles[svc]; ok {
		return t
	}
	return svc
}

// errServiceDisabled is the 403 SERVICE_DISABLED of gcp-wire §3.3. consumer is
// the project identifier as the request named it. apiary=true gives BigQuery's
// form (legacy errors[] accessNotConfigured, domain usageLimits).
func errServiceDisabled(svc, consumer string, apiary bool) *apiError {
	url := fmt.Sprintf("https://console.developers.google.com/apis/api/%s/overview?project=%s", svc, consumer)
	msg := fmt.Sprintf("%s has not been used in project %s before or it is disabled. Enable it by visiting %s then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.", serviceTitle(svc), consumer, url)
	e := &apiError{HTTP: 403, Status: "PERMISSION_DENIED", Message: msg,
		Details: []map[string]any{
			{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
				"metadata": map[string]string{"service": svc, "consumer": "projects/" + consumer, "activationUrl": url,
					"serviceTitle": serviceTitle(svc), "containerInfo": consumer}},
			{"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg},
			{"@type": "type.googleapis.com/google.rpc.Help", "links": []map[string]string{{"description": "Google developers console API activation", "url": url}}},
		}}
	if apiary {
		e.Reason, e.Domain = "accessNotConfigured", "usageLimits"
	}
	return e
}

// errBigQuery is BigQuery's error style: always with errors[] (gcp-wire §9.4).
func errBigQuery(httpCode int, status, reason, msg string) *apiError {
	return &apiError{HTTP: httpCode, Status: status, Reason: reason, Message: msg}
}

// bqReasons is BigQuery's legacy errors[].reason for an HTTP status, for
// errors raised outside the BigQuery handlers (authentication, faults, bad
// JSON). https://cloud.google.com/bigquery/docs/error-messages
var bqReasons = map[int]string{400: "invalid", 403: "accessDenied", 404: "notFound", 409: "duplicate",
	412: "conditionNotMet", 429: "rateLimitExceeded", 500: "backendError", 501: "notImplemented", 503: "backendError"}

// asBigQuery gives any error BigQuery answers the errors[] array BigQuery
// always sends (gcp-wire §9.4). Its 401s carry the Authorization header as
// location: "Login Required." (reason required) without a credential,
// "Invalid Credentials" (reason authError) with a bad one.
func asBigQuery(e *apiError) *apiError {
	if e.HTML || e.OAuth != "" || e.Reason != "" {
		return e
	}
	c := *e
	switch {
	case e.HTTP == 401:
		c.Reason, c.ItemMessage = "authError", "Invalid Credentials"
		if strings.HasPrefix(e.Message, "Request is missing required authentication") {
			c.Reason, c.ItemMessage = "required", "Login Required."
		}
		c.Location, c.LocationType = "Authorization", "header"
	case bqReasons[e.HTTP] != "":
		c.Reason = bqReasons[e.HTTP]
	default:
		c.Reason = "backendError"
	}
	return &c
}
