package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// A CSV holds text only; its extra columns are copied to the report typed,
// as the spreadsheet the CSV came from had them. Each column is read whole
// before it is typed, because one value rarely tells: "1,234" is a
// thousand and more with a decimal point, a number just over one with a
// decimal comma; "03/04/2026" is March or April. So:
//
//   - numbers: a value is read in both conventions — "." for decimals and
//     "," (or a space or an apostrophe) grouping thousands, and the
//     reverse. A column whose every value reads in one convention is a
//     number column; when every value reads in both and some read as
//     different numbers ("1,234", "5,000"), it stays text.
//   - dates: ISO (2026-11-18, with or without a time) always; day-first or
//     month-first (18.11.2026, 11/18/2026) when every value fits one order
//     and not the other.
//   - a column of identifiers — digits with a leading zero ("0042"), or
//     more digits than a number keeps (16 and up) — stays text.
//
// A typed column gets a number format matching what it showed: its
// decimals and grouping, its date order and separators.

// columnKind is what a column turned out to hold.
type columnKind int

const (
	textColumn columnKind = iota
	numberColumn
	dateColumn
)

// columnType is how to read every value of one extra column.
type columnType struct {
	kind   columnKind
	comma  bool   // numbers: the decimal separator is ","
	order  string // dates: "ymd", "dmy" or "mdy"
	format string // the Excel number format of the column
}

// columnStats accumulates what the values of a column could be.
type columnStats struct {
	n          int // non-empty values
	dot, comma shape
	differ     bool // some value reads as two different numbers
	id         bool
	iso        int
	dmy, mdy   int
	withTime   bool
	// Dates: some day or month without its leading zero; a two-digit year;
	// the separator of day-first and month-first dates.
	unpadded, year2 bool
	sep             byte
	mixedSeparator  bool
}

// shape is what the values read as numbers in one convention look like.
type shape struct {
	n        int // values that read
	decimals int
	grouped  bool
}

func (s *shape) note(r reading) {
	s.n++
	s.decimals = max(s.decimals, r.decimals)
	s.grouped = s.grouped || r.grouped
}

func (s *columnStats) add(v string) {
	v = record.CleanText(v)
	if v == "" {
		return
	}
	s.n++
	if digits := strings.TrimPrefix(v, "-"); allDigits(digits) && (len(digits) > 15 || (len(digits) > 1 && digits[0] == '0')) {
		s.id = true
	}
	dot, okDot := readNumber(v, '.')
	comma, okComma := readNumber(v, ',')
	if okDot {
		s.dot.note(dot)
	}
	if okComma {
		s.comma.note(comma)
	}
	if okDot && okComma && dot.value != comma.value {
		s.differ = true
	}
	if _, ok := isoDate(v); ok {
		s.iso++
		s.withTime = s.withTime || len(v) > 10
	}
	if d, ok := splitDate(v); ok {
		if d.a <= 31 && d.b <= 12 {
			s.dmy++
		}
		if d.a <= 12 && d.b <= 31 {
			s.mdy++
		}
		s.unpadded = s.unpadded || !d.padded
		s.year2 = s.year2 || d.year2
		if s.sep != 0 && s.sep != d.sep {
			s.mixedSeparator = true
		}
		s.sep = d.sep
	}
}

// typeOf decides what a column holds.
func (s *columnStats) typeOf() columnType {
	switch {
	case s.n == 0 || s.id:
		return columnType{}
	case s.iso == s.n:
		if s.withTime {
			return columnType{kind: dateColumn, order: "ymd", format: "yyyy-mm-dd hh:mm:ss"}
		}
		return columnType{kind: dateColumn, order: "ymd", format: "yyyy-mm-dd"}
	case !s.mixedSeparator && s.dmy == s.n && s.mdy < s.n:
		return columnType{kind: dateColumn, order: "dmy", format: dateFormat("dmy", s.sep, !s.unpadded, s.year2)}
	case !s.mixedSeparator && s.mdy == s.n && s.dmy < s.n:
		return columnType{kind: dateColumn, order: "mdy", format: dateFormat("mdy", s.sep, !s.unpadded, s.year2)}
	case s.dot.n == s.n && s.comma.n == s.n && s.differ:
		return columnType{} // every value reads two ways: ambiguous
	case s.dot.n == s.n:
		return columnType{kind: numberColumn, format: numberFormat(s.dot.decimals, s.dot.grouped)}
	case s.comma.n == s.n:
		return columnType{kind: numberColumn, comma: true, format: numberFormat(s.comma.decimals, s.comma.grouped)}
	}
	return columnType{}
}

// numberFormat is the Excel format of a column with that many decimals,
// grouped by thousands or not. (Excel shows it in the reader's own
// convention: "#,##0.00" is 1.234,50 in Germany.)
func numberFormat(decimals int, grouped bool) string {
	f := "0"
	if grouped {
		f = "#,##0"
	}
	if decimals > 0 {
		f += "." + strings.Repeat("0", min(decimals, 10))
	}
	return f
}

func dateFormat(order string, sep byte, pad, year2 bool) string {
	d, m, y := "d", "m", "yyyy"
	if pad {
		d, m = "dd", "mm"
	}
	if year2 {
		y = "yy"
	}
	s := string(sep)
	if order == "dmy" {
		return d + s + m + s + y
	}
	return m + s + d + s + y
}

// typed reads one value of the column as its type; a value that does not
// read stays text.
func (t columnType) typed(c sheet.Cell) sheet.Cell {
	v := record.CleanText(c.Text)
	if v == "" || c.Kind != sheet.Text {
		return c
	}
	switch t.kind {
	case numberColumn:
		sep := byte('.')
		if t.comma {
			sep = ','
		}
		if r, ok := readNumber(v, sep); ok {
			return sheet.Cell{Kind: sheet.Number, Text: r.canonical, Num: r.value, Format: t.format}
		}
	case dateColumn:
		var when time.Time
		ok := false
		if t.order == "ymd" {
			when, ok = isoDate(v)
		} else if d, split := splitDate(v); split {
			day, month := d.a, d.b
			if t.order == "mdy" {
				day, month = d.b, d.a
			}
			when = time.Date(d.year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
			ok = when.Day() == day && int(when.Month()) == month // not 31.02.
		}
		if ok {
			return sheet.Cell{Kind: sheet.Date, Text: v, Time: when, Format: t.format}
		}
	}
	return c
}

// reading is a number as one convention reads it.
type reading struct {
	value     float64
	canonical string // digits, "." and sign: what strconv reads
	decimals  int
	grouped   bool
}

// readNumber reads v as a number whose decimal separator is dec ("." or
// ","); the other one, a space or an apostrophe groups thousands, in groups
// of three. It refuses anything else: currency signs, percentages, letters,
// a leading zero before digits ("007" is an id).
func readNumber(v string, dec byte) (reading, bool) {
	group := byte(',')
	if dec == ',' {
		group = '.'
	}
	var r reading
	sign := ""
	switch {
	case strings.HasPrefix(v, "-"):
		sign, v = "-", v[1:]
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	}
	whole, frac, hasFrac := strings.Cut(v, string(dec))
	if hasFrac {
		if !allDigits(frac) {
			return r, false
		}
		r.decimals = len(frac)
	}
	// Grouping: 1 to 3 digits, then groups of exactly 3.
	groups := strings.FieldsFunc(whole, func(c rune) bool {
		return c == rune(group) || c == ' ' || c == '\u00a0' || c == '\u202f' || c == '\''
	})
	if len(groups) == 0 || strings.Join(groups, "") == "" {
		return r, false
	}
	if len(groups) > 1 {
		if strings.Count(whole, string(group))+strings.Count(whole, " ")+strings.Count(whole, "\u00a0")+strings.Count(whole, "\u202f")+strings.Count(whole, "'") != len(groups)-1 {
			return r, false // separators doubled, leading or trailing
		}
		if len(groups[0]) > 3 {
			return r, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return r, false
			}
		}
		r.grouped = true
	}
	digits := strings.Join(groups, "")
	if !allDigits(digits) || (len(digits) > 1 && digits[0] == '0' && !r.grouped) || len(digits) > 15 {
		return r, false
	}
	r.canonical = sign + digits
	if hasFrac {
		r.canonical += "." + frac
	}
	f, err := strconv.ParseFloat(r.canonical, 64)
	if err != nil {
		return r, false
	}
	r.value = f
	return r, true
}

// isoDate reads 2026-11-18, 2026-11-18T10:00:00(Z) or 2026-11-18 10:00(:00).
func isoDate(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if len(v) >= 10 && v[4] == '-' {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// dateParts is a day-first or month-first date split into its numbers.
type dateParts struct {
	a, b, year    int
	sep           byte
	padded, year2 bool
}

// splitDate reads a.b.yyyy, a/b/yyyy or a-b-yyyy (two-digit years too) in
// either order; which of a and b is the day is the column's to decide.
func splitDate(v string) (dateParts, bool) {
	var d dateParts
	for _, sep := range []byte{'.', '/', '-'} {
		parts := strings.Split(v, string(sep))
		if len(parts) != 3 {
			continue
		}
		var n [3]int
		for i, p := range parts {
			if !allDigits(p) || len(p) > 4 {
				return d, false
			}
			n[i], _ = strconv.Atoi(p)
		}
		if len(parts[0]) > 2 || len(parts[1]) > 2 || (len(parts[2]) != 2 && len(parts[2]) != 4) {
			return d, false
		}
		if n[0] < 1 || n[1] < 1 || n[0] > 31 || n[1] > 31 {
			return d, false
		}
		d = dateParts{a: n[0], b: n[1], year: n[2], sep: sep, padded: len(parts[0]) == 2 && len(parts[1]) == 2, year2: len(parts[2]) == 2}
		if d.year2 {
			d.year += 2000
		}
		return d, true
	}
	return d, false
}

// typeExtras types the CSV extra columns of the plan's rows: each column
// read whole first, then converted.
func (p *Plan) typeExtras() {
	if len(p.Extra) == 0 {
		return
	}
	stats := make([]columnStats, len(p.Extra))
	for _, r := range p.Rows.All() {
		for i, c := range r.Extras {
			if i < len(stats) && c.Kind == sheet.Text {
				stats[i].add(c.Text)
			}
		}
	}
	types := make([]columnType, len(stats))
	typed := false
	for i := range stats {
		types[i] = stats[i].typeOf()
		typed = typed || types[i].kind != textColumn
	}
	if !typed {
		return
	}
	for _, r := range p.Rows.All() {
		for i, c := range r.Extras {
			if i < len(types) && types[i].kind != textColumn {
				r.Extras[i] = types[i].typed(c)
			}
		}
	}
}

// describeType says what a column was read as, for tests and messages.
func (t columnType) String() string {
	switch t.kind {
	case numberColumn:
		dec := "."
		if t.comma {
			dec = ","
		}
		return fmt.Sprintf("number (decimal %q, format %s)", dec, t.format)
	case dateColumn:
		return fmt.Sprintf("date (%s, format %s)", t.order, t.format)
	}
	return "text"
}
