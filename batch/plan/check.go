package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// String says what the sheet asks for, as `check` and the confirmation
// before a run print it.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, ", plural(s.Customers, "customer", "customers"), plural(s.Orders, "order", "orders"))
	lines := plural(s.Lines, "line", "lines")
	if s.ByOffer > 0 {
		lines += fmt.Sprintf(" (%d by offer id)", s.ByOffer)
	}
	if s.AllLineRows > 0 {
		fmt.Fprintf(&b, "%s: %s and %s asking for every line of %s", plural(s.Lines+s.AllLineRows, "row", "rows"), lines,
			plural(s.AllLineRows, "row", "rows"), map[bool]string{true: "its order", false: "their orders"}[s.AllLineRows == 1])
	} else {
		b.WriteString(lines)
	}
	if s.QuantityRows > 0 {
		fmt.Fprintf(&b, "; expected quantity %d (on %s)", s.Quantity, plural(s.QuantityRows, "row", "rows"))
	}
	return b.String()
}

// WriteCheck writes what `check` prints: where the header is, the file's
// SHA-256, what the sheet asks for (and the notes, one line each), and
// every row problem — grouped by column and kind, the largest group first,
// at most 20 rows of each.
func (p *Plan) WriteCheck(w io.Writer, notes ...string) {
	s := p.Summarize()
	src := p.Source
	how := strings.ToUpper(src.Format)
	if src.Encoding != "" {
		how += ", " + src.Encoding
	}
	fmt.Fprintf(w, "%s (%s; header on row %d)\n", src.Name, how, p.HeaderRow)
	fmt.Fprintf(w, "  sha256: %s\n", src.SHA256)
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintf(w, "  asks for: %s\n", s)
	fmt.Fprintf(w, "  lines by: %s\n", p.describeAddressing())
	if ig := p.Ignored(); len(ig) > 0 {
		var rows []string
		for i, r := range ig {
			if i == 10 {
				rows = append(rows, "…")
				break
			}
			rows = append(rows, fmt.Sprint(r.Source))
		}
		fmt.Fprintf(w, "  ignored: %s asking for nothing (totals, notes): row %s\n", plural(len(ig), "row", "rows"), strings.Join(rows, ", "))
	}
	fmt.Fprintf(w, "  only reading the orders (plan) shows: %s\n", p.readChecks())
	bad := p.Invalid()
	if len(bad) == 0 {
		fmt.Fprintf(w, "  every row is valid\n")
		return
	}
	fmt.Fprintf(w, "  problems: %s invalid, %s duplicate\n\n", plural(s.Invalid, "row", "rows"), plural(s.Duplicate, "row", "rows"))
	for _, g := range groupProblems(bad) {
		fmt.Fprintf(w, "%s — %s\n", g.title, plural(len(g.rows), "row", "rows"))
		for i, pr := range g.rows {
			if i == 20 {
				fmt.Fprintf(w, "    … and %d more\n", len(g.rows)-20)
				break
			}
			fmt.Fprintf(w, "    row %d: %s\n", pr.row, pr.text)
		}
	}
}

type problemRow struct {
	row  int
	text string
}

type problemGroup struct {
	title string
	rows  []problemRow
}

// groupProblems groups row problems by column and kind of reason, in order
// of first appearance.
func groupProblems(rows []*Row) []problemGroup {
	var groups []problemGroup
	index := map[string]int{}
	for _, r := range rows {
		for _, pr := range r.Problems() {
			kind, _, _ := strings.Cut(pr.Reason, ":")
			kind, _, _ = strings.Cut(kind, " (")
			if r.Status == record.Duplicate {
				kind = "duplicate"
			}
			title := kind
			if pr.Column != "" {
				title = pr.Column + " " + kind
			}
			i, ok := index[title]
			if !ok {
				i = len(groups)
				index[title] = i
				groups = append(groups, problemGroup{title: title})
			}
			// r.Source, not pr.Row: copies of a repeated row share their
			// problem.
			groups[i].rows = append(groups[i].rows, problemRow{r.Source, pr.Detail()})
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].rows) > len(groups[j].rows) })
	return groups
}

// CheckReport is `check --format json`: the file, what it asks for, and
// every row problem. Scripts read these field names.
type CheckReport struct {
	File      string         `json:"file"`
	Format    string         `json:"format"`
	Encoding  string         `json:"encoding,omitempty"`
	SHA256    string         `json:"sha256"`
	HeaderRow int            `json:"headerRow"`
	Valid     bool           `json:"valid"`
	Summary   CheckSummary   `json:"summary"`
	Problems  []CheckProblem `json:"problems"`
}

// CheckSummary counts what the sheet asks for.
type CheckSummary struct {
	Customers        int `json:"customers"`
	Orders           int `json:"orders"`
	Lines            int `json:"lines"`
	EveryLineRows    int `json:"everyLineRows"`
	ExpectedQuantity int `json:"expectedQuantity"`
	InvalidRows      int `json:"invalidRows"`
	DuplicateRows    int `json:"duplicateRows"`
	IgnoredRows      int `json:"ignoredRows"`
	LinesByOffer     int `json:"linesByOffer"`
}

// CheckProblem is one problem of one row.
type CheckProblem struct {
	Row    int           `json:"row"`
	Status record.Status `json:"status"`
	Column string        `json:"column,omitempty"`
	Value  string        `json:"value,omitempty"`
	Reason string        `json:"reason"`
}

// WriteCheckJSON writes what `check --format json` prints: the same as
// WriteCheck, for scripts.
func (p *Plan) WriteCheckJSON(w io.Writer) {
	s := p.Summarize()
	out := CheckReport{
		File: p.Source.Name, Format: p.Source.Format, Encoding: p.Source.Encoding, SHA256: p.Source.SHA256, HeaderRow: p.HeaderRow,
		Summary:  CheckSummary{s.Customers, s.Orders, s.Lines, s.AllLineRows, s.Quantity, s.Invalid, s.Duplicate, s.Ignored, s.ByOffer},
		Problems: []CheckProblem{},
	}
	for _, r := range p.Invalid() {
		for _, pr := range r.Problems() {
			out.Problems = append(out.Problems, CheckProblem{Row: r.Source, Status: r.Status, Column: pr.Column, Value: pr.ShownValue(), Reason: pr.Reason})
		}
	}
	out.Valid = len(out.Problems) == 0
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// describeAddressing says how the sheet names the line of an order.
func (p *Plan) describeAddressing() string {
	number := p.Columns[FieldLine]
	var offer string
	switch p.Addressing {
	case ByLineNumber:
		return number
	case ByOfferColumn:
		offer = "offer id (" + p.Columns[FieldOffer] + ")"
	case ByProductColumns:
		offer = "offer id from " + p.Columns[FieldProduct] + ", " + p.Columns[FieldSku] + ", " + p.Columns[FieldAvailability]
	}
	if number == "" {
		return offer
	}
	return number + ", or the " + offer + " where it is empty"
}

// readChecks says what only reading each order can tell.
func (p *Plan) readChecks() string {
	what := []string{"whether each order has the lines named"}
	if p.Addressing != ByLineNumber {
		what = append(what, "which line has each offer")
	}
	if p.Columns[FieldOffer] != "" || p.Addressing == ByProductColumns {
		what = append(what, "whether the offers match")
	}
	if p.Columns[FieldQuantity] != "" {
		what = append(what, "whether the quantities match")
	}
	return strings.Join(what, ", ")
}

// plural is "1 row" or "2 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
