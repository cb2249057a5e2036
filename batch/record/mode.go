package record

import "fmt"

// Mode is what a command does with the orders: a Plan reads them (GET
// only), a Run cancels. Reports, journals and the ledger record it by its
// word — "plan" or "run" — which other programs read.
type Mode int

// The modes.
const (
	Run Mode = iota
	Plan
)

// String returns the mode's word: "run" or "plan".
func (m Mode) String() string {
	if m == Plan {
		return "plan"
	}
	return "run"
}

// ParseMode reads a mode's word.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "run":
		return Run, nil
	case "plan":
		return Plan, nil
	}
	return 0, fmt.Errorf("%q is neither run nor plan", s)
}

// MarshalText writes the mode's word (journal headers are JSON).
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the mode's word; an empty one is a run, as journals
// of versions that did not record it were.
func (m *Mode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = Run
		return nil
	}
	v, err := ParseMode(string(b))
	*m = v
	return err
}
