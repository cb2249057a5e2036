package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/orderid"
)

// maxCellChars is Excel's limit on a cell; anything longer is not an id.
const maxCellChars = 32767

// parseOrderID trims an order id and checks it against Partner Center's
// character set. fromXLSX enables the check for ids Excel stored as numbers
// and rounded to 15 significant digits.
func parseOrderID(s string, fromXLSX bool) (string, error) {
	s = record.CleanText(s)
	if s == "" || len(s) > orderid.MaxLen {
		return "", orderid.Check(s)
	}
	if fromXLSX && strings.ContainsAny(s, "Ee") && strings.ContainsAny(s, ".+") {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "", errors.New("was stored by Excel as a number in E notation and has lost digits: format the column as Text and type the id again")
		}
	}
	if err := orderid.Check(s); err != nil {
		return "", err
	}
	if fromXLSX && len(s) > 15 && strings.Trim(s, "0123456789") == "" {
		return "", errors.New("has more than 15 digits: if Excel stored it as a number it has rounded it; format the column as Text and type the id again")
	}
	return s, nil
}

// allLines is the line number of a row that asks for every line;
// lineByOffer of a row that names its line by offer id.
const (
	EveryLine   = -1
	LineByOffer = -2
)

// parseLine reads a line item number: a whole number ≥ 0, written "2",
// "2.0" or "2,0"; empty or "*" means every line of the order.
func parseLine(s string) (int, error) {
	s = record.CleanText(s)
	if s == "" || s == "*" {
		return EveryLine, nil
	}
	n, err := ParseCount(s)
	if err != nil {
		return 0, err
	}
	if n > 1_000_000 {
		return 0, errors.New("is not a plausible line item number")
	}
	return n, nil
}

// parseCount reads a whole number ≥ 0 as people and spreadsheets write it,
// refusing anything whose meaning depends on the locale:
//
//	"12", "012"          → 12 (decimal, never octal)
//	"2.0", "2,00"        → 2
//	"1,234", "1.234"     → 1234 (the only whole-number reading in any locale)
//	"1,000", "1.000"     → refused: 1000 in the US, 1 in Germany
//	"2.5", "-1", "1e3"   → refused
func ParseCount(s string) (int, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\'' {
			return -1 // digit grouping by spaces or apostrophes (Swiss)
		}
		return r
	}, record.CleanText(s))
	switch {
	case s == "":
		return 0, errors.New("is empty")
	case s[0] == '-':
		return 0, errors.New("is negative")
	case allDigits(s):
		return atoiChecked(s)
	}
	hasDot, hasComma := strings.Contains(s, "."), strings.Contains(s, ",")
	if hasDot && hasComma {
		return 0, errors.New("mixes . and , — write the number without separators")
	}
	if !hasDot && !hasComma {
		return 0, errors.New("is not a whole number")
	}
	sep := "."
	if hasComma {
		sep = ","
	}
	groups := strings.Split(s, sep)
	for _, g := range groups {
		if !allDigits(g) {
			return 0, errors.New("is not a whole number")
		}
	}
	if len(groups) == 2 && len(groups[1]) != 3 {
		// A decimal separator: only zeros may follow it.
		if strings.Trim(groups[1], "0") == "" {
			return atoiChecked(groups[0])
		}
		return 0, errors.New("is not a whole number")
	}
	// Digit grouping: 1 to 3 digits, then groups of exactly 3.
	if len(groups[0]) > 3 {
		return 0, errors.New("is not a whole number")
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return 0, errors.New("is not a whole number")
		}
	}
	if len(groups) == 2 && groups[1] == "000" {
		return 0, fmt.Errorf("is ambiguous: %s is a thousand in some locales and %s in others; write it without separators", s, groups[0])
	}
	return atoiChecked(strings.Join(groups, ""))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoiChecked(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<31-1 {
		return 0, errors.New("is too large")
	}
	return n, nil
}

// sameOffer compares offer ids as Partner Center does: case-insensitively.
func SameOffer(a, b string) bool { return strings.EqualFold(record.CleanText(a), record.CleanText(b)) }
