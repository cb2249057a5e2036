package pcclient

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A server's answer is data, not truth: Partner Center, a proxy in front of
// it or something pretending to be it writes the text that ends up in the
// report. Before an order is believed it is checked (is it the order asked
// for, are its numbers possible); every text taken from an answer is
// cleaned (no credentials, no control characters, a bounded length).

// ErrImplausible matches an *AnswerError.
var ErrImplausible = errors.New("implausible answer")

// AnswerError is a successful (2xx) answer that cannot be believed: another
// order, a negative quantity, one line number twice, no line items. The
// call is not retried: the same server would say the same.
type AnswerError struct {
	Method, Path string
	Reason       string
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("%s %s: Partner Center's answer cannot be believed: %s", e.Method, e.Path, e.Reason)
}

// Is makes an AnswerError match ErrImplausible.
func (e *AnswerError) Is(target error) bool { return target == ErrImplausible }

// MaxText bounds a text taken from a server's answer, in characters.
const MaxText = 300

// maxOfferID bounds an offer id: it is sent back in the PATCH.
const maxOfferID = 256

var offerIDChars = regexp.MustCompile(`^[A-Za-z0-9:._/+-]*$`)

// check validates an order read for orderID and cleans its texts. token is
// the access token the request carried, removed wherever it is echoed.
func (o *Order) check(orderID, token string) error {
	if o.ID != orderID {
		if o.ID == "" {
			return errors.New("the answer names no order id")
		}
		return fmt.Errorf("the answer is for order %q, not %q", Clean(o.ID, 80, token), orderID)
	}
	if len(o.LineItems) > 10000 {
		return fmt.Errorf("the answer lists %d line items", len(o.LineItems))
	}
	seen := make(map[int]bool, len(o.LineItems))
	for i := range o.LineItems {
		li := &o.LineItems[i]
		switch {
		case li.LineItemNumber < 0:
			return fmt.Errorf("a line item has number %d", li.LineItemNumber)
		case seen[li.LineItemNumber]:
			return fmt.Errorf("line item %d appears twice", li.LineItemNumber)
		case li.Quantity < 0:
			return fmt.Errorf("line item %d has quantity %d", li.LineItemNumber, li.Quantity)
		case len(li.OfferID) > maxOfferID || !offerIDChars.MatchString(li.OfferID):
			return fmt.Errorf("line item %d's offer id %q is not an offer id", li.LineItemNumber, Clean(li.OfferID, 80, token))
		}
		seen[li.LineItemNumber] = true
		li.FriendlyName = Clean(li.FriendlyName, MaxText, token)
		li.TermDuration = Clean(li.TermDuration, 40, token)
		li.TransactionType = Clean(li.TransactionType, 40, token)
	}
	o.ReferenceCustomerID = Clean(o.ReferenceCustomerID, 80, token)
	o.AlternateID = Clean(o.AlternateID, 80, token)
	o.Status = Clean(o.Status, 40, token)
	o.CreationDate = Clean(o.CreationDate, 40, token)
	o.BillingCycle = Clean(o.BillingCycle, 40, token)
	o.CurrencyCode = Clean(o.CurrencyCode, 8, token)
	return nil
}

var credentialPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	// A JSON Web Token: three base64url parts, the first a JSON header.
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), "[redacted]"},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`), "$1 [redacted]"},
	{regexp.MustCompile(`(?i)\b((?:client_?)?secret|password|passwd|pwd|(?:access|refresh|id)_?token|assertion|authorization|api[_-]?key)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]{4,}`), "$1$2[redacted]"},
}

// Redact removes from s each of secrets (those of 8 characters or more),
// also URL-encoded, and anything shaped like a credential: a JWT, "Bearer
// …", "secret=…", "password: …" and the like.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) < 8 {
			continue
		}
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			s = strings.ReplaceAll(s, form, "[redacted]")
		}
	}
	for _, p := range credentialPatterns {
		s = p.re.ReplaceAllString(s, p.with)
	}
	return s
}

// Clean makes a server's text safe to write anywhere: valid UTF-8, no
// control characters (a line break becomes a space), credentials redacted
// (Redact), and at most max characters, the cut marked with "…".
func Clean(s string, max int, secrets ...string) string {
	if len(s) > 64<<10 {
		s = s[:64<<10]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == '\uFFFE' || r == '\uFFFF':
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(Redact(s, secrets...))
	if utf8.RuneCountInString(s) > max {
		cut := 0
		for i := range s {
			if cut == max-1 {
				s = s[:i] + "…"
				break
			}
			cut++
		}
	}
	return s
}
