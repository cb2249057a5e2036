package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem with the input, in the terms of csv.ParseError: where
// (file, row, column), what (the value as typed) and why, and what to do
// about it where that is known.
//
// With Row 0 it is about the file as a whole — no header, a required column
// missing — and nothing of the file is used. With Row set it is about one
// row, which is reported (invalid, duplicate) while the rest proceed.
type Error struct {
	File string
	// Row is the row number the user sees; 0 for the file as a whole.
	Row int
	// Column is the header of the column at fault, or "".
	Column string
	// Value is the value at fault, as typed, or "" — its first 200 bytes
	// when it is longer (Cut then is its length in characters).
	Value  string
	Cut    int
	Reason string
	// Fix says what to do about it, or "".
	Fix string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	b.WriteString(e.Detail())
	return b.String()
}

// Detail is the error without its file and row: the column, the value and
// the reason, as a row's Error Message shows it.
func (e *Error) Detail() string {
	switch {
	case e.Column == "":
		return e.Reason
	case e.Value == "":
		return fmt.Sprintf("%s: %s", e.Column, e.Reason)
	}
	return fmt.Sprintf("%s %s: %s", e.Column, e.shownValue(), e.Reason)
}

// shownValue quotes the value, marking where it was cut.
func (e *Error) shownValue() string { return strconv.Quote(e.Value) + e.cutNote() }

// ShownValue is the value as a message shows it: whole, or its start and
// its length.
func (e *Error) ShownValue() string { return e.Value + e.cutNote() }

// cutNote says how long a value that was cut is, or "".
func (e *Error) cutNote() string {
	if e.Cut > 0 {
		return fmt.Sprintf("… (%d characters)", e.Cut)
	}
	return ""
}

// maxShown is how much of a value a message shows: a 100 MB cell is named
// by its start and its length, not printed whole.
const maxShown = 200

func (e *Error) Unwrap() error { return e.Err }

// Hint returns what to do about the error, or "".
func (e *Error) Hint() string { return e.Fix }
