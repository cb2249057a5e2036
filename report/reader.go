package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch"
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
	orders map[string]*batch.OrderResult
	wb     *sheet.Workbook
	sheets []string // Lines, Lines 2, …
}

// Open reads an earlier report's Summary and Orders sheets and checks that
// its Lines sheet has the columns this tool writes. It returns an error for
// a workbook that is not a pcreconcile report.
func Open(path string) (*Prior, error) {
	wb, err := sheet.OpenWorkbook(path, 0)
	if err != nil {
		return nil, err
	}
	p := &Prior{Path: path, wb: wb, Meta: map[string]string{}, orders: map[string]*batch.OrderResult{}}
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
	for sum.Next() {
		c := sum.Record().Cells
		if len(c) >= 2 && c[0].Text != "" {
			p.Meta[c[0].Text] = c[1].Text
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
	if !startsWith(head, LineColumns) {
		return notReport("its Lines sheet does not have the report's columns")
	}
	p.extra = append([]string(nil), head[len(LineColumns):]...)

	return p.readOrders()
}

// Input is the original input the report was made from, as its Summary
// names it.
func (p *Prior) Input() batch.Source {
	return batch.Source{Name: p.Meta[LabelInput], Path: p.Meta[LabelInputPath], SHA256: p.Meta[LabelInputSHA]}
}

// ExtraHeaders are the headers of the input's extra columns.
func (p *Prior) ExtraHeaders() []string { return p.extra }

// Orders holds the Orders sheet by batch.OrderKey (order-level fields only).
func (p *Prior) Orders() map[string]*batch.OrderResult { return p.orders }

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

// startsWith reports whether a header row begins with cols.
func startsWith(head, cols []string) bool {
	return len(head) >= len(cols) && slices.Equal(head[:len(cols)], cols)
}

func (p *Prior) readOrders() error {
	r, err := p.wb.Rows(OrdersSheet, false)
	if err != nil {
		return err
	}
	defer r.Close()
	first := true
	for r.Next() {
		rec := r.Record()
		c := rec.Texts()
		if first {
			first = false
			if !startsWith(c, OrderColumns) {
				return &Error{File: p.Path, Reason: "is not a pcreconcile report: its Orders sheet does not have the report's columns"}
			}
			continue
		}
		for len(c) < len(OrderColumns) {
			c = append(c, "")
		}
		o := &batch.OrderResult{
			Customer: c[0], Order: c[1], StatusBefore: c[5], StatusAfter: c[6], Outcome: c[7],
			ErrorCode: c[9], ErrorMessage: c[10], RequestID: c[12],
		}
		o.HTTPStatus, _ = atoi(c[8])
		o.Attempts, _ = atoi(c[11])
		d, _ := atoi(c[13])
		o.DurationMS = int64(d)
		p.orders[batch.OrderKey(o.Customer, o.Order)] = o
	}
	return r.Err()
}

// Lines calls fn with every line of the report, in order, across the Lines
// sheets. A row it cannot understand (an unknown status, a non-numeric
// quantity) is an error naming the row: the report was edited.
func (p *Prior) Lines(fn func(batch.LineResult) error) error {
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

func (p *Prior) readLines(name string, r sheet.Reader, fn func(batch.LineResult) error) error {
	header := true
	for r.Next() {
		rec := r.Record()
		if header {
			header = false
			continue
		}
		l, err := parseLine(rec.Cells, len(p.extra))
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

func parseLine(cells []sheet.Cell, extras int) (batch.LineResult, error) {
	get := func(i int) sheet.Cell {
		if i < len(cells) {
			return cells[i]
		}
		return sheet.Cell{}
	}
	text := func(i int) string { return get(i).Text }
	var l batch.LineResult
	var err error
	if l.Row, err = atoi(text(0)); err != nil || l.Row <= 0 {
		return l, fmt.Errorf("column Source Row: %q is not a row number", text(0))
	}
	l.Customer, l.Order = text(1), text(2)
	if c := get(3); c.Kind == sheet.Number {
		if n, err := atoi(c.Text); err == nil {
			l.Line = &n
		} else {
			l.LineText = c.Text // an invalid row shows what was typed, e.g. 2.5
		}
	} else {
		l.LineText = c.Text
	}
	l.Offer, l.Product = text(4), text(5)
	if l.Before, err = optInt(text(6)); err != nil {
		return l, fmt.Errorf("column Quantity Before: %q: %v", text(6), err)
	}
	if l.After, err = optInt(text(7)); err != nil {
		return l, fmt.Errorf("column Quantity After: %q: %v", text(7), err)
	}
	st, ok := batch.ParseStatus(text(8))
	if !ok {
		return l, fmt.Errorf("unknown Status %q", text(8))
	}
	l.Status = st
	l.OrderBefore, l.OrderAfter = text(9), text(10)
	l.Purchased = dateOf(get(11))
	l.ErrorCode, l.ErrorMessage = text(12), text(13)
	l.Attempts, _ = atoi(text(14))
	l.RequestID, l.CorrelationID = text(15), text(16)
	l.ProcessedAt = dateOf(get(17))
	l.RunID = text(18)
	if extras > 0 {
		l.Extras = make([]sheet.Cell, extras)
		for i := range extras {
			l.Extras[i] = get(len(LineColumns) + i)
		}
		for len(l.Extras) > 0 && l.Extras[len(l.Extras)-1].Kind == sheet.Empty {
			l.Extras = l.Extras[:len(l.Extras)-1]
		}
	}
	return l, nil
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, errors.New("not a whole number")
	}
	return int(f), nil
}

func optInt(s string) (*int, error) {
	if s == "" {
		return nil, nil
	}
	n, err := atoi(s)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// dateOf reads a date cell, to the millisecond the serial number keeps.
func dateOf(c sheet.Cell) time.Time {
	if c.Kind != sheet.Date {
		return time.Time{}
	}
	return c.Time.UTC().Round(time.Millisecond)
}
