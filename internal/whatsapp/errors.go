package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

var (
	// ErrInvalidRequest is wrapped by every request this package refuses to
	// send (missing token, bad id, empty recipient…). Nothing left the
	// process, and resending it unchanged fails the same way.
	ErrInvalidRequest = errors.New("whatsapp: invalid request")
	// ErrMalformedResponse is wrapped when Meta answered 2xx but the body
	// could not be read as the documented response.
	ErrMalformedResponse = errors.New("whatsapp: malformed response")
	// ErrResponseTooLarge is wrapped when a response exceeds the size limit
	// for its endpoint.
	ErrResponseTooLarge = errors.New("whatsapp: response too large")
)

// APIError is an error answer from the Graph API (design doc §2.7): an
// HTTP error status, with Meta's error envelope when it sent one.
type APIError struct {
	HTTPStatus int
	// Code is error.code, the field to build handling on; Subcode is
	// error_subcode (deprecated by Meta, often 0).
	Code, Subcode int
	// Type is e.g. "OAuthException"; Message is "(#<code>) <title>";
	// Details is error_data.details. None of them are stable enough to parse.
	Type, Message, Details, FBTraceID string
	Class                             Class
	// MayHaveBeenSent is true when the answer did not come from the Graph
	// API itself (a gateway 5xx without Meta's envelope): the request may
	// have been processed before the gateway gave up, so a send must not be
	// blindly repeated. An answer with Meta's envelope means Meta rejected
	// the request and nothing was sent.
	MayHaveBeenSent bool
	// hasEnvelope records whether Meta's error envelope (with a code) was
	// present; Code 0 is a real code (AuthException), so Code alone can't say.
	hasEnvelope bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("whatsapp: ")
	if e.hasEnvelope {
		b.WriteString("error ")
		b.WriteString(strconv.Itoa(e.Code))
		if e.Subcode != 0 {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(e.Subcode))
		}
	} else {
		b.WriteString("error without a Graph API code")
	}
	b.WriteString(" (HTTP ")
	b.WriteString(strconv.Itoa(e.HTTPStatus))
	b.WriteString(", ")
	b.WriteString(e.Class.String())
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(maskDigits(e.Message))
	}
	if e.Details != "" {
		b.WriteString(": ")
		b.WriteString(maskDigits(e.Details))
	}
	if e.FBTraceID != "" {
		b.WriteString(" [fbtrace_id ")
		b.WriteString(e.FBTraceID)
		b.WriteString("]")
	}
	return b.String()
}

// Explain is the UI sentence for this error's code.
func (e *APIError) Explain() string { return Explain(e.Code) }

// Info is the catalogue entry for this error's code; Class is the error's
// own class (which may differ, e.g. 100 with subcode 33 is Auth).
func (e *APIError) Info() CodeInfo {
	ci, _ := Lookup(e.Code)
	ci.Class = e.Class
	if e.Code == 100 && e.Subcode == 33 {
		ci.Scope = ScopePhoneNumber
	}
	return ci
}

// TransportError is a request that got no HTTP answer we could use:
// connection errors, timeouts, a cancelled context, or a 2xx whose body
// was unreadable. It is always ClassTransient.
type TransportError struct {
	// Op is "METHOD /path" without host or query.
	Op  string
	Err error
	// Timeout is true when a deadline expired.
	Timeout bool
	// MayHaveBeenSent is true when the whole request body had been handed
	// to the connection before the failure: Meta may have accepted the
	// message ("unknown outcome"). Such a send must be reconciled from
	// status webhooks (biz_opaque_callback_data), not blindly repeated.
	MayHaveBeenSent bool
}

func (e *TransportError) Error() string {
	cause := e.Err
	var ue *url.Error
	if errors.As(cause, &ue) {
		// url.Error repeats the full URL; Op already names the endpoint.
		cause = ue.Err
	}
	msg := "whatsapp: " + e.Op + ": " + cause.Error()
	if e.MayHaveBeenSent {
		msg += " (the request may have reached Meta)"
	}
	return msg
}

func (e *TransportError) Unwrap() error { return e.Err }

// Classify returns the class of any error a Client method returned. A nil
// error is ClassNone; an unrecognised error is ClassTransient.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Class
	}
	if errors.Is(err, ErrInvalidRequest) {
		return ClassPermanent
	}
	return ClassTransient
}

// OutcomeUnknown reports whether err leaves it unknown if Meta accepted the
// request. For a send, the caller must then wait for the status webhook
// (matched by biz_opaque_callback_data) instead of resending.
func OutcomeUnknown(err error) bool {
	if te, ok := errors.AsType[*TransportError](err); ok {
		return te.MayHaveBeenSent
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.MayHaveBeenSent
	}
	return false
}

// isTimeout reports deadline expiry from the context or the network.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// graphErrorEnvelope is Meta's {"error": {...}} body (§2.7).
type graphErrorEnvelope struct {
	Error *struct {
		Message     string        `json:"message"`
		Type        string        `json:"type"`
		Code        flexInt       `json:"code"`
		Subcode     flexInt       `json:"error_subcode"`
		ErrorData   flexErrorData `json:"error_data"`
		FBTraceID   string        `json:"fbtrace_id"`
		IsTransient bool          `json:"is_transient"`
	} `json:"error"`
}

// newAPIError builds the error for a non-2xx answer. body may be anything:
// Meta's envelope, a gateway's HTML, or nothing.
func newAPIError(status int, body []byte, traceHeader string) *APIError {
	e := &APIError{HTTPStatus: status, FBTraceID: traceHeader}
	var env graphErrorEnvelope
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code.set {
		g := env.Error
		e.hasEnvelope = true
		e.Code, e.Subcode = g.Code.v, g.Subcode.v
		e.Type, e.Message, e.Details = g.Type, g.Message, g.ErrorData.details
		if g.FBTraceID != "" {
			e.FBTraceID = g.FBTraceID
		}
		e.Class = classifyAPI(e.Code, e.Subcode, status, g.IsTransient)
		return e
	}
	e.Class = classifyStatus(status)
	// Without Meta's envelope the answer came from something in front of
	// the Graph API; a 5xx there says nothing about whether the backend
	// processed the request.
	e.MayHaveBeenSent = status >= 500
	return e
}

func classifyAPI(code, subcode, status int, isTransient bool) Class {
	// 100 with subcode 33 is "object does not exist" — for a send, the
	// phone-number id is wrong or the number was deleted: the connection
	// is broken, not the message (doc §5, "Unknown object ID").
	if code == 100 && subcode == 33 {
		return ClassAuth
	}
	if _, ok := Lookup(code); !ok && isTransient {
		return ClassTransient
	}
	return ClassifyCode(code, status)
}

// flexInt accepts 131056 and "131056": the spec says integer, but one
// wrapper sends strings (doc §2.7). Anything else reads as unset.
type flexInt struct {
	v   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	if n, err := strconv.Atoi(s); err == nil {
		f.v, f.set = n, true
	}
	return nil
}

// flexErrorData takes error_data as Meta's object or as a bare string
// (older Graph errors), keeping only the human-readable details.
type flexErrorData struct{ details string }

func (f *flexErrorData) UnmarshalJSON(b []byte) error {
	var obj struct {
		Details string `json:"details"`
	}
	if json.Unmarshal(b, &obj) == nil {
		f.details = obj.Details
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		f.details = s
	}
	return nil
}

// maskDigits hides runs of seven or more digits (phone numbers, and
// incidentally long ids) in text that may end up in logs, keeping the last
// three so two numbers can still be told apart.
func maskDigits(s string) string {
	run := 0
	need := false
	for i := 0; i < len(s) && !need; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			need = run >= 7
		} else {
			run = 0
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i >= 7 {
			b.WriteString(strings.Repeat("•", j-i-3))
			b.WriteString(s[j-3 : j])
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}
