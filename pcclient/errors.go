package pcclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against the errors the client
// returns: an *APIError matches every sentinel its answer means (a 400
// with 900117 is both ErrOutsideWindow and ErrRejected), an *AuthError
// ErrUnauthorized. Callers decide what an answer means by these, never by
// status codes or strings.
var (
	// ErrUnreachable: the endpoint's host name does not resolve (an
	// *UnreachableError); nothing was sent, and retrying will not help.
	ErrUnreachable = errors.New("unreachable")
	// ErrNotFound: 404, the order (or customer) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrThrottled: 429, the partner's request quota is spent.
	ErrThrottled = errors.New("throttled")
	// ErrUnauthorized: no token could be had, or Partner Center refused it
	// after one refresh.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrOutsideWindow: 900117, the cancellation window has passed.
	ErrOutsideWindow = errors.New("outside the cancellation window")
	// ErrNotCancellable: 800061, 800063, 800019 or 800077 — the order or
	// product cannot be cancelled (this way, or any more).
	ErrNotCancellable = errors.New("not cancellable")
	// ErrAlreadyCancelled: 800063 (line already cancelled) or 800061 (order
	// cannot be cancelled, which Partner Center also answers for an order
	// cancelled already). Answered to a PATCH sent again, it may be that
	// call's own earlier attempt: the order is worth reading.
	ErrAlreadyCancelled = errors.New("already cancelled")
	// ErrTemporary: a later attempt may get past this answer — throttling,
	// a busy order, a timeout, a server error, or whatever the server says
	// is retryable (APIError.Temporary).
	ErrTemporary = errors.New("temporary")
	// ErrRejected: Partner Center refused the request (a 4xx that is not
	// temporary): the same request will be refused again.
	ErrRejected = errors.New("rejected")
)

// Partner Center error codes the tool acts on (REST docs, "Error codes" and
// "Cancel software purchases").
const (
	CodeOrderNotFound      = "20000"
	CodeNoRelationship     = "20002"
	CodeTokenMissing       = "800001"
	CodeOrderBusy          = "800014"
	CodeLineItemCancelled  = "800063"
	CodeOrderNotCancelable = "800061"
	CodeProductNotCancel1  = "800019"
	CodeOrderBusy2         = "800060"
	CodeBadLineItem        = "800071"
	CodeProductNotCancel2  = "800077"
	CodeOutsideWindow      = "900117"
	CodeMFARequired        = "900421"
)

// explanations say what a code means for the person reading the error,
// where Partner Center's own description does not.
var explanations = map[string]string{
	CodeMFARequired: "Partner Center refuses App+User calls whose sign-in did not use multi-factor authentication " +
		"(enforced since April 2026); cancelling software purchases supports app-only calls: set auth.mode: app " +
		"with auth.tenant_id, auth.client_id and auth.client_secret_env, or sign in with MFA to get the refresh token",
}

// Explanation is what the error's code means and what to do, "" when
// Partner Center's description says enough.
func (e *APIError) Explanation() string {
	if e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden {
		return explanations[e.Code]
	}
	return ""
}

// UnreachableError is a host name the DNS does not know: a wrong
// partner_center.base_url, or a network that resolves no outside names
// (a proxy is needed).
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot find the host %s (DNS): check partner_center.base_url, and that this network resolves it (DNS, proxy: HTTPS_PROXY)", e.Host)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes an UnreachableError match ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// APIError is a non-2xx answer from Partner Center.
type APIError struct {
	Method     string
	Path       string // relative to the base URL, e.g. v1/customers/…/orders/…
	StatusCode int
	// Code is Partner Center's error code as text: the API sends it as a
	// number or as a string depending on the service.
	Code        string
	Description string
	// ErrorName and Retryable come from newer services (errorName, isRetryable).
	ErrorName string
	Retryable *bool
	// RequestID and CorrelationID are the MS-RequestId / MS-CorrelationId of
	// the call, for a support ticket.
	RequestID     string
	CorrelationID string
	// RetryAfter is the parsed Retry-After header, or -1 when there was none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if x := e.Explanation(); x != "" {
		fmt.Fprintf(&b, " — %s", x)
	}
	return b.String()
}

// Is lets errors.Is match an APIError against the sentinels its answer
// means.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrOutsideWindow:
		return e.Code == CodeOutsideWindow
	case ErrNotCancellable:
		switch e.Code {
		case CodeOrderNotCancelable, CodeLineItemCancelled, CodeProductNotCancel1, CodeProductNotCancel2:
			return true
		}
	case ErrAlreadyCancelled:
		return e.Code == CodeLineItemCancelled || e.Code == CodeOrderNotCancelable
	case ErrTemporary:
		return e.Temporary()
	case ErrRejected:
		return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusUnauthorized && !e.Temporary()
	}
	return false
}

// MayHaveApplied reports whether the request may have been carried out
// although this answer came (a timeout, a server error), by the same table:
// a refusal such as a 400 or a 429 changed nothing.
func (e *APIError) MayHaveApplied() bool {
	_, applied := remedyFor(e.StatusCode, e.Code, e.Retryable)
	return applied
}

// Temporary reports whether a later attempt may get past this answer, by
// the table Decide retries by (answers): throttled, order busy, timed out,
// a server error — or whatever the server itself marks isRetryable.
func (e *APIError) Temporary() bool {
	r, _ := remedyFor(e.StatusCode, e.Code, e.Retryable)
	return r == backOff || r == pause
}

// errorBody covers the three shapes Partner Center answers errors in:
//
//	{"code": 900117, "description": "...", "data": [], "source": "..."}
//	{"code": "800071", "errorName": "...", "isRetryable": false, "message": "..."}
//	{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}
type errorBody struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
	Message     string          `json:"message"`
	ErrorName   string          `json:"errorName"`
	IsRetryable *bool           `json:"isRetryable"`
	StatusCode  json.RawMessage `json:"statusCode"`
}

// newAPIError builds the error of a non-2xx answer. The body is decoded when
// it is one of the known shapes; otherwise its first line becomes the
// description, so an HTML error page from a proxy is still readable. Its
// texts are cleaned (Clean) of token, the access token the request carried.
func newAPIError(method, path string, status int, header http.Header, body []byte, now time.Time, token string) *APIError {
	e := &APIError{
		Method:        method,
		Path:          path,
		StatusCode:    status,
		RequestID:     header.Get("MS-RequestId"),
		CorrelationID: header.Get("MS-CorrelationId"),
		RetryAfter:    ParseRetryAfter(header.Get("Retry-After"), now),
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		e.Code = rawCode(eb.Code)
		if e.Code == "" && status != http.StatusTooManyRequests {
			e.Code = rawCode(eb.StatusCode)
		}
		e.Description = eb.Description
		if e.Description == "" {
			e.Description = eb.Message
		}
		e.ErrorName = eb.ErrorName
		e.Retryable = eb.IsRetryable
	} else {
		line, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte("\n"))
		e.Description = string(line)
	}
	e.Description = Clean(e.Description, MaxText, token)
	e.ErrorName = Clean(e.ErrorName, 80, token)
	e.Code = Clean(e.Code, 40, token)
	e.RequestID = Clean(e.RequestID, 80, token)
	e.CorrelationID = Clean(e.CorrelationID, 80, token)
	return e
}

// rawCode renders a JSON number or string as text; anything else is "".
func rawCode(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil {
			return strconv.FormatInt(i, 10)
		}
		return n.String()
	}
	return ""
}

// AuthError is a failure to obtain an access token. It matches
// ErrUnauthorized. It never contains the secret or a token.
type AuthError struct {
	// AADSTS is the Azure AD error code, e.g. "AADSTS7000215", if known.
	AADSTS string
	// Description is Azure AD's explanation, shortened.
	Description string
	// Fix says what the user most likely has to fix.
	Fix string
	// Permanent is false for failures worth retrying (network, 5xx).
	Permanent bool
	Err       error
}

func (e *AuthError) Error() string {
	msg := "cannot get an access token"
	if e.AADSTS != "" {
		msg += ": " + e.AADSTS
	}
	if e.Description != "" {
		msg += ": " + e.Description
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *AuthError) Unwrap() error { return e.Err }

// Hint returns what the user most likely has to fix, or "".
func (e *AuthError) Hint() string { return e.Fix }

// Is makes an AuthError match ErrUnauthorized.
func (e *AuthError) Is(target error) bool { return target == ErrUnauthorized }
