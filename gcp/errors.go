package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

// Kind is what went wrong, in the terms fedctl acts on.
type Kind int

const (
	KindUnknown Kind = iota
	KindNotFound
	KindAlreadyExists
	KindPermissionDenied
	KindServiceDisabled // an API is not enabled in the consumer project
	KindAborted         // concurrent modification (stale etag): redo the read-modify-write
	KindInvalidArgument
	KindUnauthenticated
	KindRateLimited
	KindUnavailable // 5xx or a network failure
	KindFailedPrecondition
	KindCanceled         // context canceled
	KindDeadlineExceeded // context deadline
)

var kindNames = [...]string{
	KindUnknown:            "unknown",
	KindNotFound:           "not found",
	KindAlreadyExists:      "already exists",
	KindPermissionDenied:   "permission denied",
	KindServiceDisabled:    "service disabled",
	KindAborted:            "aborted",
	KindInvalidArgument:    "invalid argument",
	KindUnauthenticated:    "unauthenticated",
	KindRateLimited:        "rate limited",
	KindUnavailable:        "unavailable",
	KindFailedPrecondition: "failed precondition",
	KindCanceled:           "canceled",
	KindDeadlineExceeded:   "deadline exceeded",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a classified Google API (or transport) error.
type Error struct {
	Kind Kind
	// Code is the HTTP status (0 for network and context errors).
	Code int
	// Message is Google's human-readable message (for STS/OAuth errors, the
	// error_description).
	Message string
	// Reason is the machine-readable reason: the ErrorInfo reason
	// (SERVICE_DISABLED, IAM_PERMISSION_DENIED…), else the legacy
	// errors[].reason (notFound, alreadyExists, aborted, accessDenied…),
	// else the OAuth error code (invalid_grant…).
	Reason string
	// Permission is the IAM permission that was denied, when Google says.
	Permission string
	// Service is the API the error is about ("iam.googleapis.com"), when
	// Google says (ErrorInfo metadata.service); for KindServiceDisabled, the
	// disabled API.
	Service string
	// Retried, when set, says the call was retried until the budget ran
	// out: "gave up after 7 tries in 1m58s".
	Retried string
	// Err is the underlying error (*googleapi.Error etc.).
	Err error
}

// Error is one clean line: the message, then the status and reason.
func (e *Error) Error() string {
	msg := oneLine(e.Message)
	if msg == "" {
		msg = e.Kind.String()
	}
	var tags []string
	if e.Code > 0 {
		tags = append(tags, "HTTP "+strconv.Itoa(e.Code))
	}
	if e.Reason != "" {
		tags = append(tags, e.Reason)
	}
	if len(tags) > 0 {
		msg += " (" + strings.Join(tags, ", ") + ")"
	}
	if e.Retried != "" && !strings.Contains(msg, e.Retried) {
		msg += "; " + e.Retried
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf classifies err; KindUnknown for nil.
func KindOf(err error) Kind {
	if e := Classify(err); e != nil {
		return e.Kind
	}
	return KindUnknown
}

func IsNotFound(err error) bool         { return KindOf(err) == KindNotFound }
func IsAlreadyExists(err error) bool    { return KindOf(err) == KindAlreadyExists }
func IsPermissionDenied(err error) bool { return KindOf(err) == KindPermissionDenied }
func IsServiceDisabled(err error) bool  { return KindOf(err) == KindServiceDisabled }
func IsAborted(err error) bool          { return KindOf(err) == KindAborted }
func IsUnauthenticated(err error) bool  { return KindOf(err) == KindUnauthenticated }

// Classify turns any error from this package's calls into an *Error (nil for
// nil). It looks, in order, for an *Error already made, a *googleapi.Error
// (what the generated clients return), an *oauth2.RetrieveError (token
// endpoints), an *apierror.APIError (cloud.google.com clients), context
// errors and network errors.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		e = classify(err)
	}
	if re, retried := errors.AsType[*RetriedError](err); retried && e.Retried == "" {
		cp := *e // never change an error someone else holds
		cp.Retried = "gave up after " + re.Summary
		return &cp
	}
	return e
}

func classify(err error) *Error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return fromGoogleAPIError(ge, err)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fromRetrieveError(re, err)
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		return fromAPIError(ae, err)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCanceled, Message: err.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindDeadlineExceeded, Message: err.Error(), Err: err}
	case isNetworkError(err):
		return &Error{Kind: KindUnavailable, Message: err.Error(), Err: err}
	}
	return &Error{Kind: KindUnknown, Message: err.Error(), Err: err}
}

// errorBody is the part of an error body googleapi.Error does not keep: the
// google.rpc.Status name, and the OAuth form STS and token endpoints use.
type errorBody struct {
	Error json.RawMessage `json:"error"`
	// OAuth2 (RFC 6749 §5.2): {"error":"invalid_grant","error_description":"…"}
	Description string `json:"error_description"`
}

type statusBody struct {
	Status string `json:"status"`
}

func fromGoogleAPIError(ge *googleapi.Error, err error) *Error {
	e := &Error{Code: ge.Code, Message: ge.Message, Err: err, Retried: describeRetried(ge.Header)}
	var status string
	var body errorBody
	if json.Unmarshal([]byte(strings.TrimSpace(ge.Body)), &body) == nil && len(body.Error) > 0 {
		var oauthCode string
		if json.Unmarshal(body.Error, &oauthCode) == nil {
			e.Reason = oauthCode
			if e.Message == "" {
				e.Message = body.Description
			}
		} else {
			var sb statusBody
			_ = json.Unmarshal(body.Error, &sb)
			status = sb.Status
		}
	}

	info := errorInfo(ge.Details)
	if info.reason != "" {
		e.Reason = info.reason
	} else if len(ge.Errors) > 0 && ge.Errors[0].Reason != "" {
		e.Reason = ge.Errors[0].Reason
	}
	e.Permission = info.metadata["permission"]
	e.Service = info.metadata["service"]

	e.Kind = kindFromReason(e.Reason)
	if e.Kind == KindUnknown {
		e.Kind = kindFromStatus[status]
	}
	if e.Kind == KindUnknown {
		e.Kind = kindFromHTTP(e.Code)
	}
	fillFromMessage(e)
	if e.Message == "" {
		e.Message = http.StatusText(e.Code)
		if b := strings.TrimSpace(ge.Body); b != "" && !json.Valid([]byte(b)) {
			e.Message += " (non-JSON response: is the API endpoint right?)"
		}
	}
	return e
}

func fromRetrieveError(re *oauth2.RetrieveError, err error) *Error {
	e := &Error{Reason: re.ErrorCode, Message: re.ErrorDescription, Err: err}
	if e.Reason == "" {
		// x/oauth2/jwt does not parse the RFC 6749 error body itself.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			e.Reason, e.Message = body.Error, body.Description
		}
	}
	if re.Response != nil {
		e.Code = re.Response.StatusCode
		e.Retried = describeRetried(re.Response.Header)
	}
	if e.Message == "" {
		e.Message = "token request failed: " + http.StatusText(e.Code)
	}
	e.Kind = kindFromHTTP(e.Code)
	return e
}

func fromAPIError(ae *apierror.APIError, err error) *Error {
	e := &Error{Reason: ae.Reason(), Err: err}
	if c := ae.HTTPCode(); c > 0 {
		e.Code = c
	}
	md := ae.Metadata()
	e.Permission, e.Service = md["permission"], md["service"]
	var grpcCode int64 = -1
	if st := ae.GRPCStatus(); st != nil {
		grpcCode = int64(st.Code())
		e.Message = st.Message()
	}
	if m := ae.Message(); m != "" {
		e.Message = m
	}
	e.Kind = kindFromReason(e.Reason)
	if e.Kind == KindUnknown && e.Code > 0 {
		e.Kind = kindFromHTTP(e.Code)
	}
	if e.Kind == KindUnknown && grpcCode >= 0 {
		e.Kind = kindFromGRPC(grpcCode)
	}
	fillFromMessage(e)
	return e
}

// statusError classifies a google.rpc.Status carried by a finished
// long-running operation (its code is the gRPC number, not HTTP).
func statusError(code int64, message string, details []googleapi.RawMessage) *Error {
	raw := make([]any, 0, len(details))
	for _, d := range details {
		var m map[string]any
		if json.Unmarshal(d, &m) == nil {
			raw = append(raw, m)
		}
	}
	info := errorInfo(raw)
	e := &Error{
		Kind:       kindFromReason(info.reason),
		Code:       httpFromGRPC[code],
		Message:    message,
		Reason:     info.reason,
		Permission: info.metadata["permission"],
		Service:    info.metadata["service"],
	}
	if e.Kind == KindUnknown {
		e.Kind = kindFromGRPC(code)
	}
	fillFromMessage(e)
	return e
}

type rpcErrorInfo struct {
	reason   string
	metadata map[string]string
}

// errorInfo finds the google.rpc.ErrorInfo among googleapi.Error.Details
// (raw JSON maps). Read directly, because apierror's strict protojson parse
// is discarded whenever a body also carries legacy errors[] (gcp-wire §1.6).
func errorInfo(details []any) rpcErrorInfo {
	for _, d := range details {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := m["@type"].(string); !strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			continue
		}
		info := rpcErrorInfo{metadata: map[string]string{}}
		info.reason, _ = m["reason"].(string)
		if md, ok := m["metadata"].(map[string]any); ok {
			for k, v := range md {
				if s, ok := v.(string); ok {
					info.metadata[k] = s
				}
			}
		}
		return info
	}
	return rpcErrorInfo{}
}

var (
	// "Permission 'iam.serviceAccounts.getAccessToken' denied on resource…"
	permissionQuotedRE = lazyregexp.New(`Permission '([A-Za-z0-9_.]+)' denied`)
	// BigQuery: "User does not have bigquery.jobs.create permission in project p."
	permissionBQRE = lazyregexp.New(`does not have ([a-z]+\.[A-Za-z0-9_.]+) permission`)
	// SERVICE_DISABLED messages link the API's console page.
	serviceLinkRE = lazyregexp.New(`/apis/api/([a-z0-9.-]+\.googleapis\.com)/`)
)

// fillFromMessage recovers Permission and Service from the message text when
// the structured details are missing (older bodies, BigQuery).
func fillFromMessage(e *Error) {
	if e.Permission == "" && (e.Kind == KindPermissionDenied || e.Code == http.StatusForbidden) {
		if m := permissionQuotedRE.FindStringSubmatch(e.Message); m != nil {
			e.Permission = m[1]
		} else if m := permissionBQRE.FindStringSubmatch(e.Message); m != nil {
			e.Permission = m[1]
		}
	}
	if e.Service == "" && e.Kind == KindServiceDisabled {
		if m := serviceLinkRE.FindStringSubmatch(e.Message); m != nil {
			e.Service = m[1]
		}
	}
}

// kindFromReason maps ErrorInfo reasons and legacy errors[].reason values.
func kindFromReason(reason string) Kind {
	switch reason {
	case "SERVICE_DISABLED", "accessNotConfigured":
		return KindServiceDisabled
	case "IAM_PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "CONSUMER_INVALID",
		"accessDenied", "forbidden", "insufficientPermissions":
		return KindPermissionDenied
	case "CREDENTIALS_MISSING", "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_TYPE_UNSUPPORTED",
		"authError", "unauthorized":
		return KindUnauthenticated
	case "RATE_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED", "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded":
		return KindRateLimited
	case "notFound":
		return KindNotFound
	case "alreadyExists", "duplicate":
		return KindAlreadyExists
	case "aborted":
		return KindAborted
	case "badRequest", "invalid", "invalidQuery", "invalidParameter":
		return KindInvalidArgument
	case "conditionNotMet", "failedPrecondition":
		return KindFailedPrecondition
	case "backendError", "internalError":
		return KindUnavailable
	}
	return KindUnknown
}

// kindFromStatus maps the google.rpc.Code name in an error envelope.
var kindFromStatus = map[string]Kind{
	"INVALID_ARGUMENT":    KindInvalidArgument,
	"OUT_OF_RANGE":        KindInvalidArgument,
	"FAILED_PRECONDITION": KindFailedPrecondition,
	"UNAUTHENTICATED":     KindUnauthenticated,
	"PERMISSION_DENIED":   KindPermissionDenied,
	"NOT_FOUND":           KindNotFound,
	"ALREADY_EXISTS":      KindAlreadyExists,
	"ABORTED":             KindAborted,
	"RESOURCE_EXHAUSTED":  KindRateLimited,
	"CANCELLED":           KindCanceled,
	"INTERNAL":            KindUnavailable,
	"UNAVAILABLE":         KindUnavailable,
	"DEADLINE_EXCEEDED":   KindDeadlineExceeded,
}

func kindFromHTTP(code int) Kind {
	switch code {
	case http.StatusBadRequest:
		return KindInvalidArgument
	case http.StatusUnauthorized:
		return KindUnauthenticated
	case http.StatusForbidden:
		return KindPermissionDenied
	case http.StatusNotFound:
		return KindNotFound
	case http.StatusConflict: // Google's canonical mapping; ALREADY_EXISTS is told apart by reason/status
		return KindAborted
	case http.StatusPreconditionFailed:
		return KindFailedPrecondition
	case http.StatusTooManyRequests:
		return KindRateLimited
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return KindUnavailable
	}
	return KindUnknown
}

// gRPC code numbers (google.rpc.Code), as used by Operation.error.code.
var grpcKinds = map[int64]Kind{
	1: KindCanceled, 3: KindInvalidArgument, 4: KindDeadlineExceeded, 5: KindNotFound,
	6: KindAlreadyExists, 7: KindPermissionDenied, 8: KindRateLimited, 9: KindFailedPrecondition,
	10: KindAborted, 11: KindInvalidArgument, 13: KindUnavailable, 14: KindUnavailable,
	16: KindUnauthenticated,
}

var httpFromGRPC = map[int64]int{
	1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400,
	10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

func kindFromGRPC(code int64) Kind { return grpcKinds[code] }

// isNetworkError: the request never got an HTTP answer.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// isRetryableNetworkError: a network failure that another try may not hit
// (a refused connection means nothing is listening: retrying only delays the
// error).
func isRetryableNetworkError(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "connection reset by peer")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
