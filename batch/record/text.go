package record

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// AsText writes a CSV cell so that a spreadsheet opening the file
// shows it as text, never evaluates it: a value starting with = + - @, a
// tab or a carriage return (what Excel and LibreOffice read as a formula)
// gets a leading apostrophe, and so does one that starts with an
// apostrophe already, so that FromText reads every value back exactly.
// (Server text and the user's own cells end up here: "=HYPERLINK(…)" must
// stay a string.)
func AsText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

// FromText undoes AsText.
func FromText(s string) string {
	if len(s) > 0 && s[0] == '\'' {
		return s[1:]
	}
	return s
}

// TimeText writes a time as journals and ledgers store it: RFC 3339 in
// UTC, to the nanosecond; the zero time is "".
func TimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CleanText trims what pasting from web pages, mail and Excel leaves around
// a value: spaces, tabs, non-breaking spaces and zero-width characters.
func CleanText(s string) string {
	// The common case, plain ASCII with nothing to trim, costs no allocation.
	if s == "" || (s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf && asciiPrintable(s)) {
		return s
	}
	s = strings.TrimFunc(s, Invisible)
	if strings.IndexFunc(s, zeroWidth) >= 0 {
		s = strings.Map(func(r rune) rune {
			if zeroWidth(r) {
				return -1
			}
			return r
		}, s)
	}
	return s
}

func asciiPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func zeroWidth(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad':
		return true
	}
	return false
}

// Invisible reports a character a person cannot see around a value:
// spaces, non-breaking spaces and zero-width characters.
func Invisible(r rune) bool { return unicode.IsSpace(r) || zeroWidth(r) || r == '\u00a0' }

// ParseGUID accepts a GUID in any common form — braces, upper case,
// "urn:uuid:", no hyphens, surrounding or zero-width spaces — and returns
// the lower-case canonical form.
func ParseGUID(s string) (string, error) {
	s = CleanText(s)
	if s == "" {
		return "", errors.New("is empty")
	}
	u, err := uuid.Parse(s)
	if err != nil {
		// uuid accepts braces but not parentheses; Excel users paste both.
		if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
			if u, err = uuid.Parse(s[1 : len(s)-1]); err == nil {
				goto ok
			}
		}
		return "", errors.New("is not a GUID (want e.g. 4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57)")
	}
ok:
	if u == uuid.Nil {
		return "", errors.New("is the all-zero GUID")
	}
	if canonical(s) {
		return s, nil // already so: no copy
	}
	return u.String(), nil
}

// canonical reports whether s is a GUID in the canonical form already:
// 36 characters, lower-case hex, hyphens at 8, 13, 18 and 23.
func canonical(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// CanonicalCustomer returns the lower-case canonical form of a customer
// tenant id typed in any common form, or s itself when it is not a GUID.
func CanonicalCustomer(s string) string {
	if c, err := ParseGUID(s); err == nil {
		return c
	}
	return s
}

// Clip cuts s to at most n bytes, on a character boundary.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
