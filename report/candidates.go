package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/discover"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// The candidates workbook is what `discover` found: the lines that can
// still be cancelled, by deadline. It is a worksheet to act on, not
// evidence (nothing was done): no seal. Its Candidates sheet is a valid
// input for check, plan and run as it is — delete the rows to keep, run
// the rest.

// Sheet names of the candidates workbook.
const (
	CandidatesSheet = "Candidates"
	NotReadSheet    = "Not read"
)

// candidateColumns are the Candidates sheet: the input's own columns
// (customer, order, line, offer; Quantity reads as the expected quantity)
// and what the line is worth and by when.
var candidateColumns = record.Table[discover.Candidate]{
	{Header: "Customer Tenant ID", Format: record.FormatID, Width: 38, Get: func(c *discover.Candidate) any { return c.Customer }},
	{Header: "Customer Name", Format: record.FormatText, Width: 30, Get: func(c *discover.Candidate) any { return nonEmpty(c.CustomerName) }},
	{Header: "Order ID", Format: record.FormatID, Width: 36, Get: func(c *discover.Candidate) any { return c.Order }},
	{Header: "Line Item Number", Format: record.FormatInt, Width: 10, Get: func(c *discover.Candidate) any { return c.Line }},
	{Header: "Offer ID", Format: record.FormatID, Width: 37, Get: func(c *discover.Candidate) any { return c.Offer }},
	{Header: "Product", Format: record.FormatText, Width: 32, Get: func(c *discover.Candidate) any { return nonEmpty(c.Product) }},
	{Header: "Kind", Format: record.FormatID, Width: 22, Get: func(c *discover.Candidate) any { return string(c.Kind) }},
	{Header: "Purchase Date", Format: record.FormatTime, Width: 20, Get: func(c *discover.Candidate) any { return c.Purchased }},
	{Header: "Cancellable Until", Format: record.FormatTime, Width: 20, Get: func(c *discover.Candidate) any { return c.Until }},
	{Header: "Hours Left", Format: record.FormatText, Width: 10}, // set per row: it depends on when
	{Header: "Quantity", Format: record.FormatInt, Width: 10, Get: func(c *discover.Candidate) any { return c.Quantity }},
	{Header: "Unit Price", Format: record.FormatMoney, Width: 12, Get: func(c *discover.Candidate) any { return nullMoney(c.UnitPrice) }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(c *discover.Candidate) any { return nonEmpty(c.Currency) }},
	{Header: "Amount At Stake", Format: record.FormatMoney, Width: 16, Get: func(c *discover.Candidate) any { return nullMoney(c.Amount()) }},
}

var notReadHeaders = []string{"Customer Tenant ID", "Customer Name", "Error Code", "Reason"}

// atStake is a customer's candidates in one currency.
type atStake struct {
	Customer, Name, Currency string
	Lines, Quantity          int
	Amount                   decimal.NullDecimal
	Earliest                 time.Time
}

var stakeColumns = record.Table[atStake]{
	{Header: "Customer Tenant ID", Format: record.FormatID, Width: 38, Get: func(a *atStake) any { return a.Customer }},
	{Header: "Customer Name", Format: record.FormatText, Width: 30, Get: func(a *atStake) any { return nonEmpty(a.Name) }},
	{Header: "Lines", Format: record.FormatInt, Width: 8, Get: func(a *atStake) any { return a.Lines }},
	{Header: "Quantity", Format: record.FormatInt, Width: 10, Get: func(a *atStake) any { return a.Quantity }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(a *atStake) any { return nonEmpty(a.Currency) }},
	{Header: "Amount At Stake", Format: record.FormatMoney, Width: 16, Get: func(a *atStake) any { return nullMoney(a.Amount) }},
	{Header: "Earliest Deadline", Format: record.FormatTime, Width: 20, Get: func(a *atStake) any { return a.Earliest }},
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullMoney(d decimal.NullDecimal) any {
	if !d.Valid {
		return nil
	}
	return d.Decimal
}

// CandidatesOptions say what a discover found and where to write it.
type CandidatesOptions struct {
	Path   string
	Force  bool
	Result *discover.Result
	// Version, CommandLine, Endpoint, Tenant, RunBy: as a report's Summary.
	Version, CommandLine, Endpoint, Tenant, RunBy string
	Windows                                       deadline.Rules
	Within                                        time.Duration
}

// WriteCandidates writes the candidates workbook; like a report, it appears
// complete or not at all.
func WriteCandidates(opts CandidatesOptions) error {
	res := opts.Result
	f := excelize.NewFile()
	defer f.Close()
	title := "Cancellation candidates: nothing was changed"
	hf := headerFooter(title, opts.Endpoint == record.SandboxEndpoint, "read "+res.At.Format("2006-01-02 15:04 UTC"), "discover")
	b, err := newBook(f, hf)
	if err != nil {
		return err
	}
	// Candidates first: plan and run read the first sheet.
	if err := f.SetSheetName("Sheet1", CandidatesSheet); err != nil {
		return err
	}
	for _, name := range []string{CustomersSheet, NotReadSheet, SummarySheet} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	// Candidates, by deadline.
	t, err := b.stream(CandidatesSheet, candidateColumns.Headers(), len(candidateColumns), tableWidths(candidateColumns), wrapColumns(candidateColumns), 1+len(res.Candidates))
	if err != nil {
		return err
	}
	hours := slices.Index(candidateColumns.Headers(), "Hours Left")
	for i := range res.Candidates {
		c := &res.Candidates[i]
		row := make([]any, len(candidateColumns))
		for k, col := range candidateColumns {
			if col.Get != nil {
				row[k] = b.cell(col.Format, col.Get(c))
			}
		}
		row[hours] = c.HoursLeft(res.At)
		if err := t.add(row, b.styles.wrap); err != nil {
			return err
		}
	}
	if err := b.finishSheet(t); err != nil {
		return err
	}
	// Customers: what each has at stake, per currency.
	stakes := atStakes(res.Candidates)
	if t, err = b.stream(CustomersSheet, stakeColumns.Headers(), len(stakeColumns), tableWidths(stakeColumns), wrapColumns(stakeColumns), 1+len(stakes)); err != nil {
		return err
	}
	for _, a := range stakes {
		row := make([]any, len(stakeColumns))
		for k, col := range stakeColumns {
			row[k] = b.cell(col.Format, col.Get(a))
		}
		if err := t.add(row, b.styles.wrap); err != nil {
			return err
		}
	}
	if err := b.finishSheet(t); err != nil {
		return err
	}
	// Not read: the customers whose orders could not be read, and why.
	if t, err = b.stream(NotReadSheet, notReadHeaders, len(notReadHeaders), []float64{38, 30, 12, 60}, []int{3}, 1+len(res.NotRead)); err != nil {
		return err
	}
	for _, n := range res.NotRead {
		if err := t.add([]any{n.Customer, nonEmpty(n.Name), nonEmpty(n.Code), n.Reason}, b.styles.wrap); err != nil {
			return err
		}
	}
	if err := b.finishSheet(t); err != nil {
		return err
	}
	if err := printTitles(f); err != nil {
		return err
	}
	if err := writeCandidatesSummary(b, title, opts, stakes); err != nil {
		return err
	}
	if err := b.archive.props(docInfo{Title: "pcreconcile: " + title, Subject: "Partner Center purchases that can still be cancelled, by deadline",
		Version: opts.Version, Description: fmt.Sprintf("%d lines of %d customers, read %s", len(res.Candidates), res.Customers, res.At.Format(time.RFC3339)),
		Keywords: "pcreconcile; discover"}, res.At); err != nil {
		return err
	}
	return save(f, b.archive, opts.Path, opts.Force)
}

// atStakes totals the candidates per customer and currency, the customers
// by their earliest deadline.
func atStakes(cands []discover.Candidate) []*atStake {
	type key struct{ customer, currency string }
	m := map[key]*atStake{}
	for i := range cands {
		c := &cands[i]
		k := key{c.Customer, c.Currency}
		a := m[k]
		if a == nil {
			a = &atStake{Customer: c.Customer, Name: c.CustomerName, Currency: c.Currency, Earliest: c.Until}
			m[k] = a
		}
		a.Lines++
		a.Quantity += c.Quantity
		if amt := c.Amount(); amt.Valid {
			a.Amount = decimal.NewNullDecimal(a.Amount.Decimal.Add(amt.Decimal))
		}
		if c.Until.Before(a.Earliest) {
			a.Earliest = c.Until
		}
	}
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *atStake) int {
		return cmp.Or(a.Earliest.Compare(b.Earliest), cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Currency, b.Currency))
	})
	return out
}

// Summary labels of the candidates workbook.
const (
	LabelRead       = "Read (UTC)"
	LabelCustomers  = "Customers read"
	LabelOrders     = "Orders read"
	LabelCandidates = "Lines that can still be cancelled"
	LabelAtStake    = "Amount at stake"
	LabelWithin     = "Deadlines within"
	LabelNotRead    = "Customers not read"
	LabelIncomplete = "Incomplete"
	LabelNext       = "Next"
)

// writeCandidatesSummary fills the Summary: when and where it read, what
// it read, what is at stake per currency, the windows used, what was left
// out and why.
func writeCandidatesSummary(b *book, title string, opts CandidatesOptions, stakes []*atStake) error {
	res := opts.Result
	s := &summary{f: b.f, st: b.styles, row: 1}
	s.set(1, 1, title, b.styles.title)
	if opts.Endpoint == record.SandboxEndpoint {
		s.row++
		s.span(1, summaryCols, s.row, "SANDBOX — the built-in Partner Center simulator: these are not real purchases", b.styles.sandbox)
	}
	s.row++
	s.field(LabelVersion, opts.Version, b.styles.left)
	s.field(LabelCommandLine, opts.CommandLine, b.styles.left)
	s.field(LabelEndpoint, opts.Endpoint, b.styles.left)
	s.field(LabelTenant, opts.Tenant, b.styles.left)
	s.field(LabelRunBy, opts.RunBy, b.styles.left)
	s.field(LabelRead, res.At, b.styles.dateTimeLeft)
	s.field(LabelCustomers, res.Customers, b.styles.left)
	s.field(LabelOrders, res.Orders, b.styles.left)
	s.field(LabelCandidates, len(res.Candidates), b.styles.left)
	if opts.Within > 0 {
		s.field(LabelWithin, opts.Within.String(), b.styles.left)
	}
	totals := map[string]decimal.Decimal{}
	for _, a := range stakes {
		if a.Amount.Valid {
			totals[a.Currency] = totals[a.Currency].Add(a.Amount.Decimal)
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(totals)) {
		if cur != "" {
			s.field(fmt.Sprintf("%s (%s)", LabelAtStake, cur), totals[cur].InexactFloat64(), b.styles.moneyLeft)
		}
	}
	s.field(LabelWindows, opts.Windows.Describe(nil), b.styles.left)
	s.field(LabelNotRead, len(res.NotRead), b.styles.left)
	if res.Incomplete != "" {
		s.field(LabelIncomplete, res.Incomplete, b.styles.sandbox)
	}
	s.field(LabelNext, "review the Candidates sheet, delete the rows to keep, then: pcreconcile plan "+ShellQuote(opts.Path)+" — and run what the plan shows", b.styles.left)
	s.row++
	s.header("Active lines left out", "Lines")
	for _, why := range slices.Sorted(maps.Keys(res.Skipped)) {
		s.row++
		s.set(1, s.row, why, 0)
		s.set(2, s.row, res.Skipped[why], 0)
	}
	return s.finish(b.headerFooter)
}
