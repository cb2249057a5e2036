// Package candidatebook writes the candidates workbook of discover: the
// lines still cancellable, soonest deadline first (a valid input for
// check, plan and run as it is), per customer, the customers not read,
// and a Summary. It is a worksheet, not evidence: it has no seal.
package candidatebook

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
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/book"
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
	{Header: "Customer Name", Format: record.FormatText, Width: 30, Get: func(c *discover.Candidate) any { return book.NonEmpty(c.CustomerName) }},
	{Header: "Order ID", Format: record.FormatID, Width: 36, Get: func(c *discover.Candidate) any { return c.Order }},
	{Header: "Line Item Number", Format: record.FormatInt, Width: 10, Get: func(c *discover.Candidate) any { return c.Line }},
	{Header: "Offer ID", Format: record.FormatID, Width: 37, Get: func(c *discover.Candidate) any { return c.Offer }},
	{Header: "Product", Format: record.FormatText, Width: 32, Get: func(c *discover.Candidate) any { return book.NonEmpty(c.Product) }},
	{Header: "Kind", Format: record.FormatID, Width: 22, Get: func(c *discover.Candidate) any { return string(c.Kind) }},
	{Header: "Purchase Date", Format: record.FormatTime, Width: 20, Get: func(c *discover.Candidate) any { return c.Purchased }},
	{Header: "Cancellable Until", Format: record.FormatTime, Width: 20, Get: func(c *discover.Candidate) any { return c.Until }},
	{Header: "Hours Left", Format: record.FormatText, Width: 10}, // set per row: it depends on when
	{Header: "Quantity", Format: record.FormatInt, Width: 10, Get: func(c *discover.Candidate) any { return c.Quantity }},
	{Header: "Unit Price", Format: record.FormatMoney, Width: 12, Get: func(c *discover.Candidate) any { return nullMoney(c.UnitPrice) }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(c *discover.Candidate) any { return book.NonEmpty(c.Currency) }},
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
	{Header: "Customer Name", Format: record.FormatText, Width: 30, Get: func(a *atStake) any { return book.NonEmpty(a.Name) }},
	{Header: "Lines", Format: record.FormatInt, Width: 8, Get: func(a *atStake) any { return a.Lines }},
	{Header: "Quantity", Format: record.FormatInt, Width: 10, Get: func(a *atStake) any { return a.Quantity }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(a *atStake) any { return book.NonEmpty(a.Currency) }},
	{Header: "Amount At Stake", Format: record.FormatMoney, Width: 16, Get: func(a *atStake) any { return nullMoney(a.Amount) }},
	{Header: "Earliest Deadline", Format: record.FormatTime, Width: 20, Get: func(a *atStake) any { return a.Earliest }},
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
	hf := book.HeaderFooter(title, opts.Endpoint == record.SandboxEndpoint, "read "+res.At.Format("2006-01-02 15:04 UTC"), "discover")
	b, err := book.New(f, hf)
	if err != nil {
		return err
	}
	// Candidates first: plan and run read the first sheet.
	if err := f.SetSheetName("Sheet1", CandidatesSheet); err != nil {
		return err
	}
	for _, name := range []string{report.CustomersSheet, NotReadSheet, book.SummarySheet} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	// Candidates, by deadline.
	t, err := b.Stream(CandidatesSheet, candidateColumns.Headers(), len(candidateColumns), book.TableWidths(candidateColumns), book.WrapColumns(candidateColumns), 1+len(res.Candidates))
	if err != nil {
		return err
	}
	hours := slices.Index(candidateColumns.Headers(), "Hours Left")
	for i := range res.Candidates {
		c := &res.Candidates[i]
		row := make([]any, len(candidateColumns))
		for k, col := range candidateColumns {
			if col.Get != nil {
				row[k] = b.Cell(col.Format, col.Get(c))
			}
		}
		row[hours] = c.HoursLeft(res.At)
		if err := t.Add(row, b.Styles.Wrap); err != nil {
			return err
		}
	}
	if err := b.FinishSheet(t); err != nil {
		return err
	}
	// Customers: what each has at stake, per currency.
	stakes := atStakes(res.Candidates)
	if t, err = b.Stream(report.CustomersSheet, stakeColumns.Headers(), len(stakeColumns), book.TableWidths(stakeColumns), book.WrapColumns(stakeColumns), 1+len(stakes)); err != nil {
		return err
	}
	for _, a := range stakes {
		row := make([]any, len(stakeColumns))
		for k, col := range stakeColumns {
			row[k] = b.Cell(col.Format, col.Get(a))
		}
		if err := t.Add(row, b.Styles.Wrap); err != nil {
			return err
		}
	}
	if err := b.FinishSheet(t); err != nil {
		return err
	}
	// Not read: the customers whose orders could not be read, and why.
	if t, err = b.Stream(NotReadSheet, notReadHeaders, len(notReadHeaders), []float64{38, 30, 12, 60}, []int{3}, 1+len(res.NotRead)); err != nil {
		return err
	}
	for _, n := range res.NotRead {
		if err := t.Add([]any{n.Customer, book.NonEmpty(n.Name), book.NonEmpty(n.Code), n.Reason}, b.Styles.Wrap); err != nil {
			return err
		}
	}
	if err := b.FinishSheet(t); err != nil {
		return err
	}
	if err := book.PrintTitles(f, book.TableTitles); err != nil {
		return err
	}
	if err := writeCandidatesSummary(b, title, opts, stakes); err != nil {
		return err
	}
	if err := b.Archive.Props(book.DocInfo{Title: "pcreconcile: " + title, Subject: "Partner Center purchases that can still be cancelled, by deadline",
		Version: opts.Version, Description: fmt.Sprintf("%d lines of %d customers, read %s", len(res.Candidates), res.Customers, res.At.Format(time.RFC3339)),
		Keywords: "pcreconcile; discover"}, res.At); err != nil {
		return err
	}
	return book.Save(f, b.Archive, opts.Path, opts.Force)
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
func writeCandidatesSummary(b *book.Book, title string, opts CandidatesOptions, stakes []*atStake) error {
	res := opts.Result
	s := &book.Summary{F: b.F, St: b.Styles}
	banner := ""
	if opts.Endpoint == record.SandboxEndpoint {
		banner = "SANDBOX — the built-in Partner Center simulator: these are not real purchases"
	}
	s.Heading(title, b.Styles.Title, banner)
	s.Field(report.LabelVersion, opts.Version, b.Styles.Left)
	s.Field(report.LabelCommandLine, opts.CommandLine, b.Styles.Left)
	s.Field(report.LabelEndpoint, opts.Endpoint, b.Styles.Left)
	s.Field(report.LabelTenant, opts.Tenant, b.Styles.Left)
	s.Field(report.LabelRunBy, opts.RunBy, b.Styles.Left)
	s.Field(LabelRead, res.At, b.Styles.DateTimeLeft)
	s.Field(LabelCustomers, res.Customers, b.Styles.Left)
	s.Field(LabelOrders, res.Orders, b.Styles.Left)
	s.Field(LabelCandidates, len(res.Candidates), b.Styles.Left)
	if opts.Within > 0 {
		s.Field(LabelWithin, opts.Within.String(), b.Styles.Left)
	}
	totals := map[string]decimal.Decimal{}
	for _, a := range stakes {
		if a.Amount.Valid {
			totals[a.Currency] = totals[a.Currency].Add(a.Amount.Decimal)
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(totals)) {
		if cur != "" {
			s.Field(fmt.Sprintf("%s (%s)", LabelAtStake, cur), totals[cur].InexactFloat64(), b.Styles.MoneyLeft)
		}
	}
	s.Field(report.LabelWindows, opts.Windows.Describe(nil), b.Styles.Left)
	s.Field(LabelNotRead, len(res.NotRead), b.Styles.Left)
	if res.Incomplete != "" {
		s.Field(LabelIncomplete, res.Incomplete, b.Styles.Sandbox)
	}
	s.Field(LabelNext, "review the Candidates sheet, delete the rows to keep, then: pcreconcile plan "+report.ShellQuote(opts.Path)+" — and run what the plan shows", b.Styles.Left)
	s.Row++
	s.Header("Active lines left out", "Lines")
	for _, why := range slices.Sorted(maps.Keys(res.Skipped)) {
		s.Row++
		s.Set(1, s.Row, why, 0)
		s.Set(2, s.Row, res.Skipped[why], 0)
	}
	return s.Finish(b.HeaderFooter)
}
