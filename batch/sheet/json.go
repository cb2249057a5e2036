package sheet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MarshalJSON writes a cell compactly by kind: Text as a JSON string, Number
// as a JSON number, Bool as true/false, Date as {"date": RFC 3339}, Empty as
// null. The journal stores extra columns this way.
func (c Cell) MarshalJSON() ([]byte, error) {
	switch c.Kind {
	case Empty:
		return []byte("null"), nil
	case Number:
		if c.Text != "" {
			if _, err := strconv.ParseFloat(c.Text, 64); err == nil {
				return []byte(c.Text), nil
			}
		}
		return json.Marshal(c.Num)
	case Bool:
		return json.Marshal(c.Text == "TRUE")
	case Date:
		return json.Marshal(struct {
			Date  time.Time `json:"date"`
			Shown string    `json:"shown,omitempty"`
		}{c.Time, c.Text})
	}
	return json.Marshal(c.Text)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Cell) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*c = Cell{}
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Cell{Kind: Text, Text: s}
	case bytes.Equal(b, []byte("true")):
		*c = Cell{Kind: Bool, Text: "TRUE", Num: 1}
	case bytes.Equal(b, []byte("false")):
		*c = Cell{Kind: Bool, Text: "FALSE"}
	case b[0] == '{':
		var d struct {
			Date  time.Time `json:"date"`
			Shown string    `json:"shown"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		*c = Cell{Kind: Date, Time: d.Date, Text: d.Shown}
	default:
		n, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("cell: %w", err)
		}
		*c = Cell{Kind: Number, Text: string(b), Num: n}
	}
	return nil
}
