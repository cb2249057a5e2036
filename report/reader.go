package report

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// Error is a workbook that cannot be resumed from: not a pcreconcile
// report, or one whose cells were edited into something this tool did not
// write. It names the sheet and row when it is about one row.
type Error struct {
	File   string
	Sheet  string
	Row    int
	Reason string
	// Fix says what to do about it, or "".
	Fix string
	Err error
}

func (e *Error) Error() string {
	where := e.File
	if e.Sheet != "" {
		where += fmt.Sprintf(": sheet %q", e.Sheet)
	}
	if e.Row > 0 {
		where += fmt.Sprintf(" row %d", e.Row)
	}
	if where == "" {
		return e.Reason
	}
	return where + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Hint returns what to do about the error, or "".
func (e *Error) Hint() string { return e.Fix }

// Prior is an earlier report, open for reading.
type Prior struct {
	Path string
	// Meta holds the Summary sheet's values by label (LabelRunID, …).
	Meta   map[string]string
	extra  []string
	orders map[string]*record.OrderResult
	lines  record.Binding[record.LineResult] // the Lines sheets' columns
	own    int                               // the Lines sheets' own columns; extras follow
	wb     *sheet.Workbook
	sheets []string // Lines, Lines 2, …
	// summaryRows are the Summary's labelled values and their rows.
	summaryRows map[string]summaryCell
	// signOff holds the sign-off block's name and date cells, by label.
	signOff map[string][2]sheet.Cell
}

type summaryCell struct {
	cell sheet.Cell
	row  int
}

// Open reads an earlier report's Summary and Orders sheets and checks that
// its Lines sheet has the columns this tool writes. It returns an error for
// a workbook that is not a pcreconcile report.
func Open(path string) (*Prior, error) {
	wb, err := sheet.OpenWorkbook(path, sheet.Limits{})
	if err != nil {
		return nil, err
	}
	p := &Prior{Path: path, wb: wb, Meta: map[string]string{}, orders: map[string]*record.OrderResult{}}
	if err := p.open(); err != nil {
		wb.Close()
		return nil, err
	}
	return p, nil
}

func (p *Prior) open() error {
	notReport := func(why string) error {
		return &Error{File: p.Path, Reason: "is not a pcreconcile report: " + why, Fix: "pass the reconciliation-….xlsx a run or plan wrote, or its .journal"}
	}
	names := p.wb.SheetNames()
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
		if _, ok := linesSheetNo(n); ok {
			p.sheets = append(p.sheets, n)
		}
	}
	if !has[SummarySheet] || !has[LinesSheet] || !has[OrdersSheet] {
		return notReport("it lacks the Summary, Lines and Orders sheets")
	}
	sort.Slice(p.sheets, func(i, j int) bool {
		a, _ := linesSheetNo(p.sheets[i])
		b, _ := linesSheetNo(p.sheets[j])
		return a < b
	})

	sum, err := p.wb.Rows(SummarySheet, false)
	if err != nil {
		return err
	}
	p.summaryRows = map[string]summaryCell{}
	p.signOff = map[string][2]sheet.Cell{}
	for sum.Next() {
		rec := sum.Record()
		if c := rec.Cells; len(c) >= 1 && c[0].Text != "" {
			var value sheet.Cell // an empty value is no cell at all
			if len(c) >= 2 {
				value = c[1]
			}
			p.Meta[c[0].Text] = value.Text
			if _, dup := p.summaryRows[c[0].Text]; !dup {
				p.summaryRows[c[0].Text] = summaryCell{cell: value, row: rec.Row}
			}
			if l := c[0].Text; l == LabelPreparedBy || l == LabelReviewedBy {
				var date sheet.Cell
				if len(c) > 5 {
					date = c[5]
				}
				p.signOff[l] = [2]sheet.Cell{value, date}
			}
		}
	}
	sum.Close()
	if p.Meta[LabelRunID] == "" {
		return notReport("its Summary has no Run ID")
	}

	lines, err := p.wb.Rows(LinesSheet, false)
	if err != nil {
		return err
	}
	defer lines.Close()
	if !lines.Next() {
		return notReport("its Lines sheet is empty")
	}
	head := lines.Record().Texts()
	last := slices.Index(head, record.LastLineHeader)
	if last < 0 {
		return notReport("its Lines sheet does not have the report's columns")
	}
	p.own = last + 1
	var missing []string
	if p.lines, missing = record.LineTable.BindHeaders(head[:p.own]); len(missing) > 0 {
		return notReport("its Lines sheet lacks the columns " + strings.Join(missing, ", "))
	}
	p.extra = append([]string(nil), head[p.own:]...)

	return p.readOrders()
}

// Input is the original input the report was made from, as its Summary
// names it.
func (p *Prior) Input() record.Source {
	return record.Source{Name: p.Meta[LabelInput], Path: p.Meta[LabelInputPath], SHA256: p.Meta[LabelInputSHA]}
}

// Accounted returns what the Summary records of the Lines sheets; a report
// that predates the record has RowCount -1.
func (p *Prior) Accounted() record.Accounted {
	n, err1 := strconv.Atoi(strings.TrimSpace(p.Meta[LabelInputRows]))
	lines, err2 := strconv.Atoi(strings.TrimSpace(p.Meta[LabelLines]))
	if err1 != nil || err2 != nil {
		return record.Accounted{RowCount: -1}
	}
	ranges := p.Meta[LabelInputRowNumbers]
	if ranges == tooManyRanges {
		ranges = ""
	}
	return record.Accounted{Rows: ranges, RowCount: n, Lines: lines}
}

// RunID is the run that wrote the report; ChainID the chain it is a
// link of (its own run id for a report of an earlier version).
func (p *Prior) RunID() string { return p.Meta[LabelRunID] }

// ChainID is the run id of the first link of the report's chain.
func (p *Prior) ChainID() string {
	if c := p.Meta[LabelChainID]; c != "" {
		return c
	}
	return p.RunID()
}

// ParentRunID is the run the report's run continued, or "".
func (p *Prior) ParentRunID() string { return p.Meta[LabelParentRun] }

// Mode is whether the report is a run's or a plan's.
func (p *Prior) Mode() record.Mode {
	m, _ := record.ParseMode(p.Meta[LabelCommand])
	return m
}

// Left is how many lines of the report a resume would process, as its
// Summary says; -1 for a report of a version that did not say.
func (p *Prior) Left() int {
	n, err := strconv.Atoi(strings.TrimSpace(p.Meta[LabelLeft]))
	if err != nil {
		return -1
	}
	return n
}

// Approval is what a run that executes this report records of the plan
// behind it: for a plan, the plan itself (file) with its sign-off as filled
// in; for a run, the plan it executed, carried on (nil when it executed
// none).
func (p *Prior) Approval(file record.Parent) *record.Approval {
	if p.Mode() == record.Plan {
		a := &record.Approval{Plan: file}
		a.PreparedBy, a.PreparedOn = signed(p.signOff[LabelPreparedBy])
		a.ReviewedBy, a.ReviewedOn = signed(p.signOff[LabelReviewedBy])
		return a
	}
	if p.Meta[LabelPlanRun] == "" {
		return nil
	}
	a := &record.Approval{Plan: record.Parent{RunID: p.Meta[LabelPlanRun], Path: p.Meta[LabelPlanFile], SHA256: p.Meta[LabelPlanSHA], Seal: p.Meta[LabelPlanSeal]}}
	unsigned := func(s string) string {
		if s == blankSignOff {
			return ""
		}
		return s
	}
	a.PreparedBy, a.PreparedOn = unsigned(p.Meta[LabelPlanPrepared]), p.Meta[LabelPlanPreparedOn]
	a.ReviewedBy, a.ReviewedOn = unsigned(p.Meta[LabelPlanReviewed]), p.Meta[LabelPlanReviewedOn]
	return a
}

// signed reads a sign-off row: the name as typed, the date as a date when
// it is one (a typed date is a serial number in the cell).
func signed(cells [2]sheet.Cell) (by, on string) {
	by, on = strings.TrimSpace(cells[0].Text), strings.TrimSpace(cells[1].Text)
	if n, err := strconv.ParseFloat(on, 64); err == nil && n > 20000 && n < 80000 {
		on = fromSerial(n).Format("2006-01-02")
	}
	return by, on
}

// Seal is the seal the report's Summary records, "" for a report of a
// version that wrote none.
func (p *Prior) Seal() string { return p.Meta[LabelSeal] }

// Endpoint is where the report's run went.
func (p *Prior) Endpoint() string { return p.Meta[LabelEndpoint] }

// Config is the config file the report's run used, "" for none (or a
// report of an earlier version, which did not say).
func (p *Prior) Config() string { return p.Meta[LabelConfig] }

// ExtraHeaders are the headers of the input's extra columns.
func (p *Prior) ExtraHeaders() []string { return p.extra }

// Orders holds the Orders sheet by batch.OrderKey (order-level fields only).
func (p *Prior) Orders() map[string]*record.OrderResult { return p.orders }

// linesSheetNo reports whether name is a Lines sheet — "Lines" or its
// continuation "Lines N" — and its number (1 for "Lines").
func linesSheetNo(name string) (int, bool) {
	if name == LinesSheet {
		return 1, true
	}
	rest, ok := strings.CutPrefix(name, LinesSheet+" ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

func (p *Prior) readOrders() error {
	r, err := p.wb.Rows(OrdersSheet, false)
	if err != nil {
		return err
	}
	defer r.Close()
	var cols record.Binding[record.OrderResult]
	first := true
	for r.Next() {
		rec := r.Record()
		if first {
			first = false
			var missing []string
			if cols, missing = record.OrderTable.BindHeaders(rec.Texts()); len(missing) > 0 {
				return &Error{File: p.Path, Reason: "is not a pcreconcile report: its Orders sheet lacks the columns " + strings.Join(missing, ", ")}
			}
			continue
		}
		o := &record.OrderResult{}
		for i, c := range rec.Cells {
			if err := cols.Set(o, i, cellText(c, cols.Format(i))); err != nil {
				return &Error{File: p.Path, Sheet: OrdersSheet, Row: rec.Row, Reason: err.Error(), Err: err, Fix: "the report was edited; resume from the report as written, or from its journal"}
			}
		}
		p.orders[record.OrderKey(o.Customer, o.Order)] = o
	}
	return r.Err()
}

// Lines calls fn with every line of the report, in order, across the Lines
// sheets. A row it cannot understand (an unknown status, a non-numeric
// quantity) is an error naming the row: the report was edited.
func (p *Prior) Lines(fn func(record.LineResult) error) error {
	for _, name := range p.sheets {
		r, err := p.wb.Rows(name, true)
		if err != nil {
			return err
		}
		err = p.readLines(name, r, fn)
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *Prior) readLines(name string, r sheet.Reader, fn func(record.LineResult) error) error {
	header := true
	for r.Next() {
		rec := r.Record()
		if header {
			header = false
			continue
		}
		l, err := p.parseLine(rec.Cells)
		if err != nil {
			return &Error{File: p.Path, Sheet: name, Row: rec.Row, Reason: err.Error(), Err: err, Fix: "the report was edited; resume from the report as written, or from its journal"}
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return r.Err()
}

// Close releases the workbook.
func (p *Prior) Close() error { return p.wb.Close() }

// parseLine reads a row of a Lines sheet: its own columns by name, then
// the input's extra columns as they are.
func (p *Prior) parseLine(cells []sheet.Cell) (record.LineResult, error) {
	var l record.LineResult
	for i, c := range cells[:min(len(cells), p.own)] {
		if err := p.lines.Set(&l, i, cellText(c, p.lines.Format(i))); err != nil {
			return l, err
		}
	}
	if l.Row == 0 {
		return l, errors.New("column Source Row: empty, not a row number")
	}
	if _, ok := record.ParseStatus(string(l.Status)); !ok {
		return l, fmt.Errorf("unknown Status %q", l.Status)
	}
	if len(p.extra) > 0 && len(cells) > p.own {
		l.Extras = make([]sheet.Cell, min(len(p.extra), len(cells)-p.own))
		copy(l.Extras, cells[p.own:])
		for len(l.Extras) > 0 && l.Extras[len(l.Extras)-1].Kind == sheet.Empty {
			l.Extras = l.Extras[:len(l.Extras)-1]
		}
	}
	return l, nil
}

// cellText is a workbook cell as the tables' setters read it: a date as
// RFC 3339, to the millisecond a serial number keeps; anything else as
// stored.
//
// A date column whose cell lost its date format (values pasted, a style
// cleared) holds Excel's serial number: it is read as the date it is.
func cellText(c sheet.Cell, f record.Format) string {
	switch {
	case c.Kind == sheet.Date:
		return record.Text(c.Time.UTC().Round(time.Millisecond))
	case c.Kind == sheet.Number && (f == record.FormatDate || f == record.FormatTime):
		return record.Text(fromSerial(c.Num).Round(time.Millisecond))
	}
	return c.Text
}
