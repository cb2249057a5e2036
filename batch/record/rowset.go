package record

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// RowSet is a set of input row numbers: the rows a report accounts for. A
// report records it in its Summary, so that a resume from the report can
// tell whether a row of its Lines sheet was deleted (or one added) since.
type RowSet struct {
	words []uint64
	n     int
}

// maxRow bounds the row numbers a RowSet holds: Excel's last row.
const maxRow = 1 << 20

// Add puts row in the set; rows outside 1…1,048,576 are ignored.
func (s *RowSet) Add(row int) {
	if row < 1 || row > maxRow {
		return
	}
	w := row / 64
	for len(s.words) <= w {
		s.words = append(s.words, 0)
	}
	if s.words[w]&(1<<(row%64)) == 0 {
		s.words[w] |= 1 << (row % 64)
		s.n++
	}
}

// Has reports whether row is in the set.
func (s *RowSet) Has(row int) bool {
	w := row / 64
	return row >= 0 && w < len(s.words) && s.words[w]&(1<<(row%64)) != 0
}

// Len returns the number of rows in the set.
func (s *RowSet) Len() int { return s.n }

// each calls fn for every row, in order.
func (s *RowSet) each(fn func(row int)) {
	for w, word := range s.words {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			fn(w*64 + b)
			word &^= 1 << b
		}
	}
}

// String writes the set as ranges: "2-9, 11, 13-17".
func (s *RowSet) String() string {
	var b strings.Builder
	start, prev := -1, -1
	flush := func() {
		if start < 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(start))
		if prev > start {
			b.WriteString("-" + strconv.Itoa(prev))
		}
	}
	s.each(func(row int) {
		if row != prev+1 {
			flush()
			start = row
		}
		prev = row
	})
	flush()
	return b.String()
}

// ParseRowSet reads what String writes.
func ParseRowSet(text string) (*RowSet, error) {
	s := &RowSet{}
	for part := range strings.SplitSeq(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(from)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(to)
		}
		if err1 != nil || err2 != nil || a < 1 || b < a || b > maxRow {
			return nil, fmt.Errorf("%q is not a row or a range of rows", part)
		}
		for r := a; r <= b; r++ {
			s.Add(r)
		}
	}
	return s, nil
}

// Diff returns the rows of s not in other, at most limit of them.
func (s *RowSet) Diff(other *RowSet, limit int) []int {
	var out []int
	s.each(func(row int) {
		if len(out) < limit && !other.Has(row) {
			out = append(out, row)
		}
	})
	return out
}

// Accounted is what a report's Summary records of its Lines sheets.
type Accounted struct {
	// Rows are the input rows (RowSet.String; "" when too many to list in a
	// cell), RowCount how many; Lines counts the Lines sheets' rows. A
	// report of a version that did not record them has RowCount -1.
	Rows            string
	RowCount, Lines int
}
