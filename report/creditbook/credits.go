// Package creditbook writes the credits workbook: line by line, whether
// what a run's chain cancelled came back on Partner Center's
// reconciliation files, per customer and currency, the credits no line
// claims, and a Summary. It reads the lines from the run's report.
package creditbook

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/credits"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/book"
)

// The credits workbook says, line by line, whether what a run cancelled
// came back on Partner Center's invoices.

// Sheet names of the credits workbook.
const (
	UnmatchedSheet = "Unmatched Credits"
)

// CancelledLines are the lines the report (and the earlier links of its
// chain, which it carries) cancelled, for matching against credits: with
// the order's alternate id, and the kind their deadline tells (30 days:
// perpetual software, 7: a software subscription).
func CancelledLines(p *report.Prior) ([]credits.Line, error) {
	var out []credits.Line
	orders := p.Orders()
	err := p.Lines(func(l record.LineResult) error {
		if l.Status != record.Cancelled || l.Line == nil {
			return nil
		}
		c := credits.Line{Row: l.Row, Customer: record.CanonicalCustomer(l.Customer), Order: l.Order, Line: *l.Line, Offer: l.Offer,
			Product: l.Product, Quantity: l.QuantityCancelled(), Currency: l.Currency, RunID: l.RunID}
		if o := orders[record.OrderKey(l.Customer, l.Order)]; o != nil {
			c.AlternateID = o.AlternateID
		}
		if a := l.AmountCancelled(); a.Valid {
			c.Amount, c.Priced = a.Decimal, true
		}
		if !l.CancellableUntil.IsZero() && !l.Purchased.IsZero() {
			c.Kind = kindOfWindow(l.CancellableUntil.Sub(l.Purchased))
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// kindOfWindow is the kind whose cancellation window a line's deadline
// shows (Cancellable Until − Purchase Date): the report does not name the
// kind. "" when no kind's default window is it (run.windows changed them):
// the line is then credited without an expectation of proration.
func kindOfWindow(w time.Duration) deadline.Kind {
	for _, k := range deadline.Kinds {
		if d, ok := deadline.DefaultWindow(k); ok && (w-d).Abs() < time.Hour {
			return k
		}
	}
	return ""
}

var creditLineColumns = record.Table[credits.Line]{
	{Header: "Source Row", Format: record.FormatInt, Width: 10, Get: func(l *credits.Line) any { return l.Row }},
	{Header: "Customer Tenant ID", Format: record.FormatID, Width: 38, Get: func(l *credits.Line) any { return l.Customer }},
	{Header: "Order ID", Format: record.FormatID, Width: 36, Get: func(l *credits.Line) any { return l.Order }},
	{Header: "Alternate ID", Format: record.FormatID, Width: 14, Get: func(l *credits.Line) any { return book.NonEmpty(l.AlternateID) }},
	{Header: "Line Item Number", Format: record.FormatInt, Width: 10, Get: func(l *credits.Line) any { return l.Line }},
	{Header: "Offer ID", Format: record.FormatID, Width: 37, Get: func(l *credits.Line) any { return l.Offer }},
	{Header: "Product", Format: record.FormatText, Width: 32, Get: func(l *credits.Line) any { return book.NonEmpty(l.Product) }},
	{Header: "Quantity Cancelled", Format: record.FormatInt, Width: 10, Get: func(l *credits.Line) any { return l.Quantity }},
	{Header: "Currency", Format: record.FormatID, Width: 10, Get: func(l *credits.Line) any { return book.NonEmpty(l.Currency) }},
	{Header: "Amount Cancelled", Format: record.FormatMoney, Width: 14, Get: func(l *credits.Line) any { return priced(l, l.Amount) }},
	{Header: "Credited", Format: record.FormatMoney, Width: 14, Get: func(l *credits.Line) any { return l.Credited }},
	{Header: "Difference", Format: record.FormatMoney, Width: 14, Get: func(l *credits.Line) any { return priced(l, l.Difference()) }},
	{Header: "Credit Status", Format: record.FormatStatus, Width: 20, Get: func(l *credits.Line) any { return string(l.Status) }},
	{Header: "Invoice Number(s)", Format: record.FormatID, Width: 20, Get: func(l *credits.Line) any { return book.NonEmpty(strings.Join(l.Invoices, ", ")) }},
	{Header: "Charge Type(s)", Format: record.FormatID, Width: 18, Get: func(l *credits.Line) any { return book.NonEmpty(strings.Join(l.Charges, ", ")) }},
	{Header: "Credit Rows", Format: record.FormatText, Width: 36, Get: func(l *credits.Line) any { return book.NonEmpty(l.CreditRowsText()) }},
	{Header: "Note", Format: record.FormatText, Width: 48, Get: func(l *credits.Line) any { return book.NonEmpty(l.Note) }},
	{Header: "Run ID", Format: record.FormatID, Width: 28, Get: func(l *credits.Line) any { return book.NonEmpty(l.RunID) }},
}

func priced(l *credits.Line, d decimal.Decimal) any {
	if !l.Priced {
		return nil
	}
	return d
}

var unmatchedColumns = record.Table[credits.Unmatched]{
	{Header: "File", Format: record.FormatID, Width: 24, Get: func(u *credits.Unmatched) any { return filepath.Base(u.File) }},
	{Header: "Row", Format: record.FormatInt, Width: 8, Get: func(u *credits.Unmatched) any { return u.Row.Row }},
	{Header: "Customer Tenant ID", Format: record.FormatID, Width: 38, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Customer) }},
	{Header: "Customer Name", Format: record.FormatText, Width: 30, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.CustomerName) }},
	{Header: "Order ID", Format: record.FormatID, Width: 36, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Order) }},
	{Header: "Offer ID", Format: record.FormatID, Width: 37, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Offer) }},
	{Header: "Product", Format: record.FormatText, Width: 32, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Product) }},
	{Header: "Charge Type", Format: record.FormatID, Width: 18, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Charge) }},
	{Header: "Quantity", Format: record.FormatMoney, Width: 10, Get: func(u *credits.Unmatched) any { return u.Quantity }},
	{Header: "Amount", Format: record.FormatMoney, Width: 14, Get: func(u *credits.Unmatched) any { return u.Amount }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Currency) }},
	{Header: "Invoice Number", Format: record.FormatID, Width: 16, Get: func(u *credits.Unmatched) any { return book.NonEmpty(u.Invoice) }},
	{Header: "Credit Status", Format: record.FormatStatus, Width: 20, Get: func(u *credits.Unmatched) any { return string(credits.UnexpectedCredit) }},
	{Header: "Why", Format: record.FormatText, Width: 40, Get: func(u *credits.Unmatched) any { return u.Why }},
}

// passThrough is a customer's lines in one currency: what was cancelled
// and what came back, the view a credit note to the customer is checked
// against.
type passThrough struct {
	Customer, Currency              string
	Lines, NotCredited              int
	Cancelled, Credited, Difference decimal.Decimal
}

var passThroughColumns = record.Table[passThrough]{
	{Header: "Customer Tenant ID", Format: record.FormatID, Width: 38, Get: func(p *passThrough) any { return p.Customer }},
	{Header: "Currency", Format: record.FormatID, Width: 9, Get: func(p *passThrough) any { return book.NonEmpty(p.Currency) }},
	{Header: "Lines", Format: record.FormatInt, Width: 8, Get: func(p *passThrough) any { return p.Lines }},
	{Header: "Amount Cancelled", Format: record.FormatMoney, Width: 14, Get: func(p *passThrough) any { return p.Cancelled }},
	{Header: "Credited", Format: record.FormatMoney, Width: 14, Get: func(p *passThrough) any { return p.Credited }},
	{Header: "Difference", Format: record.FormatMoney, Width: 14, Get: func(p *passThrough) any { return p.Difference }},
	{Header: "Lines Not Credited", Format: record.FormatInt, Width: 12, Get: func(p *passThrough) any { return p.NotCredited }},
}

// statusHelp is what each credit status means and what to do about it:
// the workbook explains itself to whoever it is passed to.
var statusHelp = map[credits.Status][2]string{
	credits.Credited:        {"The credit rows for the line add up to Amount Cancelled, within a cent per unit.", "Nothing."},
	credits.CreditedPartly:  {"Less came back than was cancelled; Difference is the rest. A software subscription is credited for the days of its term left (prorated), so less is expected for one.", "For perpetual software (credited in full), or a subscription credited less than its days left: raise it with Microsoft, quoting the Invoice Number and the line's Request ID from the run report."},
	credits.OverCredited:    {"More came back than was cancelled: a credit counted twice, or one meant for another line.", "Check the Credit Rows it names; the customer's credit note must not pass on more than was cancelled."},
	credits.NotCredited:     {"No credit row for the line in the files given.", "Credits often come on the next invoice: check again with its reconciliation file (or the unbilled one); still missing after that, raise it with Microsoft."},
	credits.CurrencyDiffers: {"The credit came in another currency than the line was cancelled in: both amounts are shown, never added.", "Compare them at the invoice's exchange rate; raise it with Microsoft if they differ."},
	credits.UnexpectedCredit: {"A credit row no line this chain cancelled claims (on the Unmatched Credits sheet): another run, another tool, or a credit Microsoft gave for something else.",
		"Find what it is for before passing it on to the customer."},
}

// creditStatus is a row of the Statuses sheet.
type creditStatus struct {
	Status    credits.Status
	Means, Do string
}

var statusColumns = record.Table[creditStatus]{
	{Header: "Credit Status", Format: record.FormatStatus, Width: 20, Get: func(c *creditStatus) any { return string(c.Status) }},
	{Header: "What it means", Format: record.FormatText, Width: 60, Get: func(c *creditStatus) any { return c.Means }},
	{Header: "What to do", Format: record.FormatText, Width: 60, Get: func(c *creditStatus) any { return c.Do }},
}

func statusRows() []creditStatus {
	out := make([]creditStatus, len(credits.Statuses))
	for i, s := range credits.Statuses {
		out[i] = creditStatus{Status: s, Means: statusHelp[s][0], Do: statusHelp[s][1]}
	}
	return out
}

// CreditsOptions say what was matched and where to write it.
type CreditsOptions struct {
	Path  string
	Force bool
	// Report is the report checked; Files the reconciliation files read.
	Report                      *report.Prior
	Files                       []*credits.File
	Matcher                     *credits.Matcher
	Version, CommandLine, RunBy string
	Now                         time.Time
	// Later, when set, names the later run of the chain whose report
	// should be checked instead.
	Later string
}

// CreditTotals are what the credits workbook adds up, per currency.
type CreditTotals struct {
	Expected, Credited map[string]decimal.Decimal
	ByStatus           map[credits.Status]int
	Unexpected         map[string]decimal.Decimal
}

// Result is the check in one sentence: whether every cancelled line came
// back in full, and otherwise what did not.
func (t CreditTotals) Result() string {
	lines := 0
	for _, s := range credits.Statuses {
		if s != credits.UnexpectedCredit {
			lines += t.ByStatus[s]
		}
	}
	switch {
	case lines == 0:
		return "nothing to check: the report cancelled no line"
	case t.ByStatus[credits.Credited] == lines:
		return fmt.Sprintf("every cancelled line is credited (%d of %d)", lines, lines)
	}
	var not []string
	for _, s := range credits.Statuses[1:] {
		if n := t.ByStatus[s]; n > 0 && s != credits.UnexpectedCredit {
			not = append(not, fmt.Sprintf("%d %s", n, s))
		}
	}
	return fmt.Sprintf("%d of %d cancelled lines credited in full; %s", t.ByStatus[credits.Credited], lines, strings.Join(not, ", "))
}

// Totals adds up the matcher's lines and unmatched credits.
func Totals(m *credits.Matcher) CreditTotals {
	t := CreditTotals{Expected: map[string]decimal.Decimal{}, Credited: map[string]decimal.Decimal{}, ByStatus: map[credits.Status]int{}, Unexpected: map[string]decimal.Decimal{}}
	for i := range m.Lines {
		l := &m.Lines[i]
		t.ByStatus[l.Status]++
		if l.Priced {
			t.Expected[l.Currency] = t.Expected[l.Currency].Add(l.Amount)
		}
		t.Credited[l.Currency] = t.Credited[l.Currency].Add(l.Credited)
	}
	for _, u := range m.Unmatched {
		t.ByStatus[credits.UnexpectedCredit]++
		t.Unexpected[u.Currency] = t.Unexpected[u.Currency].Add(u.Amount.Abs())
	}
	return t
}

// WriteCredits writes the credits workbook and returns its totals. It sorts
// the matcher's lines into report order in place: a million lines are a few
// hundred megabytes, not to be copied for a sort.
func WriteCredits(opts CreditsOptions) (CreditTotals, error) {
	m := opts.Matcher
	t := Totals(m)
	f := excelize.NewFile()
	defer f.Close()
	title := "Credits: did the money come back?"
	src := filepath.Base(opts.Report.Path)
	b, err := book.New(f, book.HeaderFooter("pcreconcile — "+title, opts.Report.Endpoint() == record.SandboxEndpoint, "run "+opts.Report.RunID(), src))
	if err != nil {
		return t, err
	}
	if err := f.SetSheetName("Sheet1", book.SummarySheet); err != nil {
		return t, err
	}
	for _, name := range []string{report.LinesSheet, UnmatchedSheet, report.CustomersSheet, report.StatusesSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return t, err
		}
	}
	lines := m.Lines
	slices.SortStableFunc(lines, func(a, b credits.Line) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Order, b.Order), cmp.Compare(a.Line, b.Line))
	})
	if err := book.WriteTable(b, report.LinesSheet, creditLineColumns, lines, colourStatus(b, creditLineColumns.Headers())); err != nil {
		return t, err
	}
	if err := book.WriteTable(b, UnmatchedSheet, unmatchedColumns, m.Unmatched, nil); err != nil {
		return t, err
	}
	if err := book.WriteTable(b, report.CustomersSheet, passThroughColumns, passThroughs(lines), nil); err != nil {
		return t, err
	}
	if err := book.WriteTable(b, report.StatusesSheet, statusColumns, statusRows(), colourStatus(b, statusColumns.Headers())); err != nil {
		return t, err
	}
	if err := book.PrintTitles(f, book.TableTitles); err != nil {
		return t, err
	}
	if err := writeCreditsSummary(b, title, opts, t); err != nil {
		return t, err
	}
	if err := b.Archive.Props(book.DocInfo{Title: "pcreconcile: " + title, Subject: "Partner Center credits matched to the cancellations of a run",
		Version: opts.Version, Description: fmt.Sprintf("%d cancelled lines of run %s against %d reconciliation files", len(lines), opts.Report.RunID(), len(opts.Files)),
		Identifier: opts.Report.RunID(), Keywords: fmt.Sprintf("pcreconcile; credits; %d credited", t.ByStatus[credits.Credited])}, opts.Now); err != nil {
		return t, err
	}
	return t, book.Save(f, b.Archive, opts.Path, opts.Force)
}

// colourStatus colours the Credit Status cell of a row of a table with
// headers in its status family's colours.
func colourStatus(b *book.Book, headers []string) func([]any) {
	at := slices.Index(headers, "Credit Status")
	return func(row []any) {
		if c, ok := row[at].(excelize.Cell); ok {
			c.StyleID = b.Styles.Status[credits.Status(fmt.Sprint(c.Value)).Family()]
			row[at] = c
		}
	}
}

// passThroughs totals the lines per customer and currency.
func passThroughs(lines []credits.Line) []passThrough {
	type key struct{ c, cur string }
	m := map[key]*passThrough{}
	for i := range lines {
		l := &lines[i]
		k := key{l.Customer, l.Currency}
		p := m[k]
		if p == nil {
			p = &passThrough{Customer: l.Customer, Currency: l.Currency}
			m[k] = p
		}
		p.Lines++
		p.Cancelled = p.Cancelled.Add(l.Amount)
		p.Credited = p.Credited.Add(l.Credited)
		p.Difference = p.Cancelled.Sub(p.Credited)
		if l.Status == credits.NotCredited {
			p.NotCredited++
		}
	}
	out := make([]passThrough, 0, len(m))
	for _, k := range slices.SortedFunc(maps.Keys(m), func(a, b key) int { return cmp.Or(cmp.Compare(a.c, b.c), cmp.Compare(a.cur, b.cur)) }) {
		out = append(out, *m[k])
	}
	return out
}

// Summary labels of the credits workbook.
const (
	LabelReportChecked = "Report checked"
	LabelExpected      = "Cancelled (expected credit)"
	LabelCredited      = "Credited"
	LabelStillOwed     = "Difference"
	LabelUnexpected    = "Unexpected credits"
	LabelLaterRun      = "Later run of the chain"
)

func writeCreditsSummary(b *book.Book, title string, opts CreditsOptions, t CreditTotals) error {
	p, st := opts.Report, b.Styles
	s := &book.Summary{F: b.F, St: st}
	banner := ""
	if p.Endpoint() == record.SandboxEndpoint {
		banner = "SANDBOX — the report is of the built-in simulator"
	}
	s.Heading(title, st.Title, banner)
	s.Field(report.LabelResult, t.Result(), st.Left)
	s.Field(report.LabelVersion, opts.Version, st.Left)
	s.Field(report.LabelCommandLine, opts.CommandLine, st.Left)
	s.Field(report.LabelRunBy, opts.RunBy, st.Left)
	s.Field(LabelReportChecked, p.Path, st.Left)
	s.Field(report.LabelRunID, p.RunID(), st.Left)
	s.Field(report.LabelChainID, p.ChainID(), st.Left)
	s.Field(report.LabelSeal, p.Seal(), st.Left)
	s.Field(report.LabelEndpoint, p.Endpoint(), st.Left)
	if opts.Later != "" {
		s.Field(LabelLaterRun, opts.Later, st.Note)
	}
	for _, cur := range slices.Sorted(maps.Keys(t.Expected)) {
		if cur == "" {
			continue
		}
		s.Field(fmt.Sprintf("%s (%s)", LabelExpected, cur), t.Expected[cur].InexactFloat64(), st.MoneyLeft)
		s.Field(fmt.Sprintf("%s (%s)", LabelCredited, cur), t.Credited[cur].InexactFloat64(), st.MoneyLeft)
		s.Field(fmt.Sprintf("%s (%s)", LabelStillOwed, cur), t.Expected[cur].Sub(t.Credited[cur]).InexactFloat64(), st.MoneyLeft)
	}
	for _, cur := range slices.Sorted(maps.Keys(t.Unexpected)) {
		s.Field(fmt.Sprintf("%s (%s)", LabelUnexpected, cmp.Or(cur, "no currency")), t.Unexpected[cur].InexactFloat64(), st.MoneyLeft)
	}
	s.Row++
	s.Header("Lines by credit status", "Lines")
	for _, status := range credits.Statuses {
		s.Row++
		s.Set(1, s.Row, string(status), st.Status[status.Family()])
		s.Set(2, s.Row, t.ByStatus[status], 0)
	}
	s.Row++
	s.Header("Reconciliation files", "SHA-256", "", "", "Rows", "Credit rows", "Invoices")
	for _, f := range opts.Files {
		s.Row++
		s.Set(1, s.Row, f.Path, st.Left)
		s.Span(2, 4, s.Row, f.SHA256, st.Left)
		s.Set(5, s.Row, f.Rows, 0)
		s.Set(6, s.Row, f.Credits, 0)
		s.Set(7, s.Row, strings.Join(f.Invoices, ", "), st.Left)
		for _, prob := range f.Problems {
			s.Row++
			s.Span(1, book.SummaryCols, s.Row, "not read: "+prob, st.Note)
		}
	}
	return s.Finish(b.HeaderFooter)
}
