package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Long-running operations (gcp-wire §2.2), shared by every API that returns
// one. An operation is stored in State.Operations under its full name with
// the response it will carry; it answers done:false to PendingPolls GETs
// (Options.OperationPolls) and then completes. Its effect on the world (a
// service becoming ENABLED, ...) is applied when it completes, by the
// completer registered for the @type of its response, so that a client that
// never polls never sees the effect early and a persisted state needs no
// closures.

// opWire is google.longrunning.Operation as Google sends it.
type opWire struct {
	Name     string          `json:"name"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Done     bool            `json:"done,omitempty"`
	Error    *OpStatus       `json:"error,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
}

// wire renders an operation: response or error only once done.
func (op *Operation) wire() *opWire {
	w := &opWire{Name: op.Name, Metadata: op.Metadata, Done: op.Done}
	if op.Done {
		if op.Error != nil {
			w.Error = op.Error
		} else {
			w.Response = op.Response
		}
	}
	return w
}

// opCompleter applies the effect of a completed operation to the state.
type opCompleter func(st *State, op *Operation, now time.Time) error

// opCompleters by the response @type ("type.googleapis.com/...").
var opCompleters = map[string]opCompleter{}

// registerOpCompleter sets the effect of operations whose response has
// typeURL. Call it from an API file's init.
func registerOpCompleter(typeURL string, f opCompleter) { opCompleters[typeURL] = f }

// typed marshals v (a struct or map that marshals to a JSON object) with
// "@type" as its first key, as google.protobuf.Any appears in JSON.
func typed(typeURL string, v any) (json.RawMessage, error) {
	head, err := json.Marshal(map[string]string{"@type": typeURL})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return head, nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("typed: %T does not marshal to an object", v)
	}
	if string(body) == "{}" {
		return head, nil
	}
	// {"@type":"..."} + "," + rest of the object after its "{".
	out := append(head[:len(head)-1:len(head)-1], ',')
	return append(out, body[1:]...), nil
}

// typeOf returns the "@type" of a typed JSON object.
func typeOf(raw json.RawMessage) string {
	var t struct {
		Type string `json:"@type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Type
}

// startOperation stores a new operation named name (its full resource name,
// e.g. "operations/acf.p2-…" or "projects/N/locations/global/
// workloadIdentityPools/P/operations/X") that will complete with response
// (built with typed). metadata may be nil. With OperationPolls < 0 it is
// done at once (and its effect applied).
func (c *call) startOperation(name string, metadata, response json.RawMessage) (*Operation, error) {
	return c.storeOperation(&Operation{Name: name, Metadata: metadata, Response: response})
}

// failOperation stores a new operation that will complete with an error
// status (code is the gRPC number, e.g. 9 FAILED_PRECONDITION).
func (c *call) failOperation(name string, metadata json.RawMessage, status *OpStatus) (*Operation, error) {
	return c.storeOperation(&Operation{Name: name, Metadata: metadata, Error: status})
}

func (c *call) storeOperation(op *Operation) (*Operation, error) {
	op.PendingPolls = c.s.opts.OperationPolls
	if c.st.Operations == nil {
		c.st.Operations = map[string]*Operation{}
	}
	c.st.Operations[op.Name] = op
	if op.PendingPolls == DoneOnFirstPoll {
		op.PendingPolls = 0 // pending; the first poll completes it
		return op, nil
	}
	if op.PendingPolls <= 0 {
		if err := c.completeOperation(op); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// completeOperation marks op done and applies its effect.
func (c *call) completeOperation(op *Operation) error {
	op.Done, op.PendingPolls = true, 0
	if op.Error != nil {
		return nil
	}
	if f := opCompleters[typeOf(op.Response)]; f != nil {
		return f(c.st, op, c.now)
	}
	return nil
}

// pollOperation answers an operations.get of name: one poll is counted, and
// the operation completes once its pending polls are used up. Only names with
// one of the prefixes are this API's (each API answers for its own
// operations only); others are NOT_FOUND like unknown names.
func (c *call) pollOperation(name string, prefixes ...string) (*opWire, error) {
	op := c.st.Operations[name]
	if op == nil || !opHasPrefix(name, prefixes) {
		return nil, errNotFound(fmt.Sprintf("Operation '%s' not found.", name))
	}
	if !op.Done {
		if op.PendingPolls > 0 {
			op.PendingPolls--
			return op.wire(), nil
		}
		if err := c.completeOperation(op); err != nil {
			return nil, err
		}
		c.dirty = true // the route is a read, but completion changed the world
	}
	return op.wire(), nil
}

func opHasPrefix(s string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// doneOperation is a synchronously finished operation that is not stored:
// serviceusage's "operations/noop.DONE_OPERATION" for no-op requests.
func doneOperation(name string, response json.RawMessage) *opWire {
	return &opWire{Name: name, Done: true, Response: response}
}

// newUUID returns a random RFC 4122 version 4 UUID string.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
