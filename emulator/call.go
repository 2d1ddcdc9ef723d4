package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// call is one request being handled. Handlers run inside a transaction
// (Server.mu and, with a state file, its lock: state_sync.go), so they may
// read and change c.st freely.
type call struct {
	s       *Server
	st      *State
	w       http.ResponseWriter
	r       *http.Request
	service string   // "iam", "bigquery", ...
	path    string   // after the service prefix
	args    []string // the route pattern's groups
	body    []byte
	now     time.Time
	id      *Identity
	replied bool // the handler wrote the response itself
	// dirty: the handler changed state although the route is not Mutates or
	// it failed (audit log entries of reads and denials), so persist anyway.
	dirty bool
}

const maxBody = 8 << 20

func newCall(s *Server, w http.ResponseWriter, r *http.Request, service, path string, args []string) (*call, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, errInvalid("Could not read the request body.")
	}
	return &call{s: s, w: w, r: r, service: service, path: path, args: args, body: b}, nil
}

// caller returns the authenticated identity, or a 401 as Google sends it.
func (c *call) caller() (*Identity, error) {
	if c.id != nil {
		return c.id, nil
	}
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return nil, errUnauthenticated("CREDENTIALS_MISSING")
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, errUnauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED")
	}
	id, ok := parseToken(c.st.Secret, strings.TrimSpace(tok), c.now)
	if !ok {
		return nil, errUnauthenticated("ACCESS_TOKEN_EXPIRED")
	}
	if c.st.revoked(id) {
		return nil, errUnauthenticated("ACCOUNT_STATE_INVALID")
	}
	if id.Grant != "" && !grantActive(c.st, id.Grant) {
		return nil, errUnauthenticated("ACCESS_TOKEN_EXPIRED") // revoked consent
	}
	c.id = id
	return id, nil
}

// decode parses the JSON body strictly: like Google's ESF, an unknown field
// is a 400 naming it. An empty body decodes as {}.
func (c *call) decode(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &apiError{HTTP: 400, Status: "INVALID_ARGUMENT",
				Message: fmt.Sprintf("Invalid JSON payload received. Unknown name %s: Cannot find field.", f),
				Details: []map[string]any{{"@type": "type.googleapis.com/google.rpc.BadRequest",
					"fieldViolations": []map[string]string{{"description": fmt.Sprintf("Invalid JSON payload received. Unknown name %s: Cannot find field.", f)}}}}}
		}
		return errInvalid("Invalid JSON payload received. " + msg)
	}
	return nil
}

// query returns a query parameter.
func (c *call) query(k string) string { return c.r.URL.Query().Get(k) }

// project finds a project by the ID or number the request named; a missing
// one is the 403 Google gives for projects the caller cannot see.
func (c *call) project(idOrNumber string) (*Project, error) {
	p := c.st.ProjectByIDOrNumber(idOrNumber)
	if p == nil {
		return nil, &apiError{HTTP: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: fmt.Sprintf("The caller does not have permission")}
	}
	return p, nil
}

// requireService fails with SERVICE_DISABLED unless svc is enabled in p.
// named is the project identifier as the request used it.
func (c *call) requireService(p *Project, svc, named string) error {
	if p.Services[svc] {
		return nil
	}
	return errServiceDisabled(svc, named, svc == "bigquery.googleapis.com")
}

// reply writes a non-JSON or non-200 response directly.
func (c *call) reply(status int, contentType string, body []byte) {
	c.replied = true
	c.w.Header().Set("Content-Type", contentType)
	c.w.WriteHeader(status)
	c.w.Write(body)
}

// saVisible reports whether a service account is visible yet (VisibilityDelay).
func (c *call) saVisible(sa *ServiceAccount) bool {
	return c.now.Sub(sa.CreatedAt) >= c.s.opts.VisibilityDelay
}

// newID returns a short unique id with a prefix (operations, jobs, inserts).
func (c *call) newID(prefix string) string {
	return fmt.Sprintf("%s%d-%x", prefix, c.st.NextSeq(), randomBytes(4))
}

var errNotImplemented = errors.New("not implemented")
