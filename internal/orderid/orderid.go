// Package orderid is what a Partner Center order id may be: the rule the
// input's Order ID column is held to and the one an order list's answer
// is checked against, so that an order discover lists is one plan
// accepts.
package orderid

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxLen is the longest order id accepted.
const MaxLen = 128

// Check reports what is wrong with id, or nil: it must be 1 to MaxLen
// letters, digits, "_" and "-".
func Check(id string) error {
	switch {
	case id == "":
		return errors.New("is empty")
	case len(id) > MaxLen:
		return fmt.Errorf("is longer than %d characters", MaxLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			r, _ := utf8.DecodeRuneInString(id[i:])
			return fmt.Errorf("contains %q; Partner Center order ids use only letters, digits, _ and -", r)
		}
	}
	return nil
}
