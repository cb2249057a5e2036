package report

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report/book"
)

// Summary labels (column A of the Summary sheet); Open reads values back by
// them.
const (
	LabelVersion         = "Tool version"
	LabelCommandLine     = "Command line"
	LabelCommand         = "Command"
	LabelEndpoint        = "Endpoint"
	LabelTenant          = "Partner tenant"
	LabelConfig          = "Config file"
	LabelRunBy           = "Run by"
	LabelIdentity        = "Signed in as"
	LabelInput           = "Input file"
	LabelInputSHA        = "Input SHA-256"
	LabelInputPath       = "Input path"
	LabelInputRows       = "Input rows"
	LabelInputRowNumbers = "Input row numbers"
	LabelLines           = "Lines in this report"
	LabelLeft            = "Lines left to retry"
	LabelSeal            = "Seal"
	LabelResumed         = "Resumed from"
	LabelRunID           = "Run ID"
	LabelChainID         = "Chain ID"
	LabelParentRun       = "Parent run"
	LabelParentFile      = "Parent file"
	LabelParentSHA       = "Parent SHA-256"
	LabelParentSeal      = "Parent seal"
	LabelStarted         = "Started (UTC)"
	LabelFinished        = "Finished (UTC)"
	LabelDurationSeconds = "Duration (seconds)"
	LabelDuration        = "Duration"
	LabelConcurrency     = "Concurrency"
	LabelRate            = "Rate"
	LabelResult          = "Result"
	LabelContinue        = "To continue"
	LabelExecute         = "To execute this plan"
	LabelPrices          = "Unit prices"
	LabelWindows         = "Cancellable Until"
	LabelConfirmed       = "Confirmed"
	LabelPlanRun         = "Plan run"
	LabelPlanFile        = "Plan file"
	LabelPlanSHA         = "Plan SHA-256"
	LabelPlanSeal        = "Plan seal"
	LabelPlanPrepared    = "Plan prepared by"
	LabelPlanPreparedOn  = "Plan prepared on"
	LabelPlanReviewed    = "Plan reviewed by"
	LabelPlanReviewedOn  = "Plan reviewed on"
	// The sign-off block's rows: a name in column B, a date in F.
	LabelPreparedBy = "Prepared by"
	LabelReviewedBy = "Reviewed by"
	LabelQuantity   = "Total quantity cancelled"
	// LabelWouldCancel is followed by the currency: what a run of the plan
	// would cancel.
	LabelWouldCancel = "Amount a run would cancel"
	// LabelAmount is followed by the currency: "Amount cancelled (EUR)" is
	// the chain's total; LabelAmountThisRun and LabelAmountCarried split
	// it into what this run cancelled and what earlier runs of the chain
	// did.
	LabelAmount        = "Amount cancelled"
	LabelAmountThisRun = "Amount cancelled by this run"
	LabelAmountCarried = "Amount carried from earlier runs"
)

// Titles of the Summary sheet.
const (
	runTitle  = "Cancellation run"
	planTitle = "PLAN — nothing was changed"
)

// Title says what the workbook is: a run or a plan, and whether it was
// stopped before its work was done. It heads the Summary and every
// printed page.
func Title(m Meta) string {
	t := runTitle
	if m.Mode == record.Plan {
		t = planTitle
	}
	switch {
	case m.Stopped == Interrupted:
		t += " — INTERRUPTED: resume to finish"
	case m.Stopped != "":
		t += " — ABORTED: resume to finish"
	}
	return t
}

// pageHeaderFooter heads each printed page of the table sheets with the
// title, the SANDBOX marking and the run id, and numbers it in the footer.
// In these codes &L, &C and &R start the left, centre and right parts, &A
// is the sheet, &P and &N the page and the page count, && a literal &.
func pageHeaderFooter(m Meta) *excelize.HeaderFooterOptions {
	return book.HeaderFooter("pcreconcile — "+Title(m), m.Endpoint == record.SandboxEndpoint, "run "+m.RunID, filepath.Base(m.Input.Name))
}

// familyNames label the chart's series.
var familyNames = map[record.Family]string{
	record.FamilyDone: "done", record.FamilyWould: "would cancel", record.FamilyRetry: "to retry",
	record.FamilyPerson: "needs a person", record.FamilyIgnored: "ignored",
}

// rowNumbers lists the input rows as ranges ("2-9, 11-17"), or says that
// they are too many to list in a cell (Excel holds 32,767 characters).
func rowNumbers(rows *record.RowSet) string {
	if s := rows.String(); len(s) <= 32000 {
		return s
	}
	return tooManyRanges
}

const tooManyRanges = "(too many ranges to list; see Input rows)"

// writeSummary fills the Summary sheet: what the workbook is, who ran what
// against which endpoint, lines and quantities and amounts per status and
// currency, orders per outcome, a chart of line statuses, and a sign-off
// block. Amounts of different currencies are never added.
func writeSummary(f *excelize.File, st *book.Styles, m Meta, c *Counts) error {
	s := &book.Summary{F: f, St: st}
	plan := m.Mode == record.Plan
	style, banner := st.Title, ""
	if plan {
		style = st.Plan
	}
	if m.Endpoint == record.SandboxEndpoint {
		banner = "SANDBOX — the built-in Partner Center simulator: no real orders were changed"
	}
	s.Heading(Title(m), style, banner)

	duration := m.Finished.Sub(m.Started)
	s.Field(LabelVersion, m.Version, st.Left)
	s.Field(LabelCommandLine, m.CommandLine, st.Left)
	s.Field(LabelCommand, m.Mode.String(), st.Left)
	endpointStyle := st.Left
	if m.Endpoint == record.SandboxEndpoint {
		endpointStyle = st.Sandbox // say it loudly: nothing real happened
	}
	s.Field(LabelEndpoint, m.Endpoint, endpointStyle)
	s.Field(LabelTenant, m.Tenant, st.Left)
	s.Field(LabelConfig, m.Config, st.Left)
	s.Field(LabelRunBy, m.RunBy, st.Left)
	s.Field(LabelIdentity, m.Identity, st.Left)
	if m.Confirmed != "" {
		s.Field(LabelConfirmed, m.Confirmed, st.Left)
	}
	s.Field(LabelInput, filepath.Base(m.Input.Name), st.Left)
	s.Field(LabelInputPath, m.Input.Path, st.Left)
	s.Field(LabelInputSHA, m.Input.SHA256, st.Left)
	s.Field(LabelInputRows, c.Rows.Len(), st.Left)
	s.Field(LabelInputRowNumbers, rowNumbers(&c.Rows), st.Left)
	s.Field(LabelLines, c.TotalLines, st.Left)
	s.Field(LabelLeft, c.Unfinished, st.Left)
	s.Field(LabelResumed, m.ResumedFrom, st.Left)
	s.Field(LabelRunID, m.RunID, st.Left)
	s.Field(LabelChainID, cmp.Or(m.ChainID, m.RunID), st.Left)
	if p := m.Parent; p != nil {
		s.Field(LabelParentRun, p.RunID, st.Left)
		s.Field(LabelParentFile, p.Path, st.Left)
		s.Field(LabelParentSHA, p.SHA256, st.Left)
		s.Field(LabelParentSeal, p.Seal, st.Left)
	}
	for _, f := range approvalFields(m.Approval) {
		s.Field(f.label, f.value, st.Left)
	}
	s.Field(LabelSeal, c.Seal, st.Left)
	s.Field(LabelStarted, book.WholeSecond(m.Started.UTC()), st.DateTimeLeft)
	s.Field(LabelFinished, book.WholeSecond(m.Finished.UTC()), st.DateTimeLeft)
	s.Field(LabelDurationSeconds, duration.Round(time.Millisecond).Seconds(), st.Left)
	s.Field(LabelDuration, duration.Round(time.Second).String(), st.Left)
	s.Field(LabelConcurrency, m.Concurrency, st.Left)
	s.Field(LabelRate, m.Rate, st.Left)
	s.Field(LabelResult, c.Result, st.Left)
	if c.Unfinished > 0 && m.Continue != "" {
		label := LabelContinue
		if plan {
			label = LabelExecute
		}
		s.Field(label, m.Continue, st.Left)
	}
	s.Field(LabelPrices, pricesNote(c), st.Left)
	s.Field(LabelWindows, m.Windows.Describe(c.KindFrom), st.Left)
	s.Field(LabelQuantity, c.QuantityCancelled, st.Left)
	currencies := c.Currencies()
	if plan {
		for _, cur := range sortedKeys(c.WouldCancel) {
			if x := c.WouldCancel[cur]; cur != "" && x.Lines > x.Unpriced {
				s.Field(fmt.Sprintf("%s (%s)", LabelWouldCancel, cur), x.Amount.InexactFloat64(), st.MoneyLeft)
			}
		}
	}
	for _, cur := range currencies {
		x := c.Cancelled[cur]
		if x == nil {
			continue
		}
		now := decimal.Zero
		if t := c.ThisRun[cur]; t != nil {
			now = t.Amount
		}
		s.Field(fmt.Sprintf("%s (%s)", LabelAmountThisRun, cur), now.InexactFloat64(), st.MoneyLeft)
		s.Field(fmt.Sprintf("%s (%s)", LabelAmountCarried, cur), x.Amount.Sub(now).InexactFloat64(), st.MoneyLeft)
		s.Field(fmt.Sprintf("%s (%s)", LabelAmount, cur), x.Amount.InexactFloat64(), st.MoneyLeft)
	}

	// Lines, quantities and what they are worth, per status.
	s.Row++
	head := []string{"Lines by status", "Lines", "Quantity Before"}
	for _, cur := range currencies {
		head = append(head, "Value "+cur)
	}
	s.Header(head...)
	first := s.Row + 1
	total := map[string]decimal.Decimal{}
	var lines, qty int
	for _, status := range record.Statuses {
		s.Row++
		s.Set(1, s.Row, string(status), st.Status[status.Family()])
		s.Set(2, s.Row, c.Lines[status], 0)
		s.Set(3, s.Row, c.Quantity[status], 0)
		for i, cur := range currencies {
			if v, ok := c.Value[status][cur]; ok {
				s.Set(4+i, s.Row, v.InexactFloat64(), st.Money)
				total[cur] = total[cur].Add(v)
			}
		}
		lines += c.Lines[status]
		qty += c.Quantity[status]
	}
	s.Row++
	s.Set(1, s.Row, "Total", st.Total)
	s.Set(2, s.Row, lines, st.Total)
	s.Set(3, s.Row, qty, st.Total)
	for i, cur := range currencies {
		s.Set(4+i, s.Row, total[cur].InexactFloat64(), st.TotalMoney)
	}
	s.Row++
	s.Span(1, book.SummaryCols, s.Row, "Value: Unit Price × Quantity Before, in the order's currency; a line without a price counts in Lines and Quantity only. Amounts of different currencies are never added.", st.Note)

	// What was cancelled, per currency.
	s.Row++
	s.Header("Cancelled by currency", "Lines", "Quantity", "Amount", "Unpriced lines")
	cancelled := slices.Sorted(func(yield func(string) bool) {
		for cur := range c.Cancelled {
			if !yield(cur) {
				return
			}
		}
	})
	if len(cancelled) == 0 {
		s.Row++
		s.Set(1, s.Row, "nothing was cancelled", st.Note)
	}
	for _, cur := range cancelled {
		x := c.Cancelled[cur]
		s.Row++
		name := cur
		if name == "" {
			name = "(no currency given)"
		}
		s.Set(1, s.Row, name, 0)
		s.Set(2, s.Row, x.Lines, 0)
		s.Set(3, s.Row, x.Quantity, 0)
		if x.Lines > x.Unpriced {
			s.Set(4, s.Row, x.Amount.InexactFloat64(), st.Money)
		}
		s.Set(5, s.Row, x.Unpriced, 0)
	}

	// Orders per outcome.
	s.Row++
	s.Header("Orders by outcome", "Orders")
	outcomes := make([]string, 0, len(c.Orders))
	for o := range c.Orders {
		outcomes = append(outcomes, o)
	}
	sort.Slice(outcomes, func(i, j int) bool {
		ri, rj := statusRank(outcomes[i]), statusRank(outcomes[j])
		return ri < rj || ri == rj && outcomes[i] < outcomes[j]
	})
	for _, o := range outcomes {
		s.Row++
		s.Set(1, s.Row, o, st.Status[record.Status(o).Family()])
		s.Set(2, s.Row, c.Orders[o], 0)
	}
	s.Row++
	s.Set(1, s.Row, "Total", st.Total)
	s.Set(2, s.Row, c.TotalOrders, st.Total)

	// The chart, from the statuses that have lines.
	s.Row += 2
	chartRow := s.Row
	const chartRows = 18 // the rows the chart covers, at its height
	s.Row += chartRows
	if err := chart(s, c, chartRow, first); err != nil {
		return err
	}

	// Sign-off: filled in by hand, on paper or in the file.
	s.Row++
	s.Header("Sign-off")
	for _, who := range []string{"Prepared by", "Reviewed by"} {
		s.Row += 2
		s.Set(1, s.Row, who, st.Bold)
		s.Span(2, 4, s.Row, "", st.Signature)
		s.Set(5, s.Row, "Date", st.Bold)
		s.Span(6, book.SummaryCols, s.Row, "", st.Signature)
	}
	// The chart's data sits in hidden columns beyond the page.
	return s.Finish(pageHeaderFooter(m))
}

// pricesNote says where the unit prices came from.
func pricesNote(c *Counts) string {
	if c.Priced == 0 {
		if c.Unpriced > 0 {
			return "Partner Center returned no prices (the account may not see them): Unit Price and Amount Cancelled are blank"
		}
		return "no line was read with a price"
	}
	var parts []string
	for _, f := range []string{"price", "discountedPrice", "listPrice"} {
		if n := c.PriceFields[f]; n > 0 {
			parts = append(parts, fmt.Sprintf("pricing.%s (%s)", f, lines(n)))
		}
	}
	if n := c.Priced - sum(c.PriceFields); n > 0 {
		parts = append(parts, fmt.Sprintf("an earlier report (%s)", lines(n)))
	}
	note := "from " + strings.Join(parts, ", ")
	if c.Unpriced > 0 {
		note += fmt.Sprintf("; %s read without a price", lines(c.Unpriced))
	}
	return note
}

// sortedKeys lists the currencies of m, sorted.
func sortedKeys(m map[string]*Cancelled) []string {
	return slices.Sorted(maps.Keys(m))
}

// approvalFields are the Summary's record of the signed-off plan a run
// executes: the plan's run, file, SHA-256 and seal, and its sign-off as it
// was filled in when the run read it.
func approvalFields(a *record.Approval) []metaField {
	if a == nil {
		return nil
	}
	by := func(name string) string {
		if name == "" {
			return blankSignOff
		}
		return name
	}
	return []metaField{
		{LabelPlanRun, a.Plan.RunID}, {LabelPlanFile, a.Plan.Path}, {LabelPlanSHA, a.Plan.SHA256}, {LabelPlanSeal, a.Plan.Seal},
		{LabelPlanPrepared, by(a.PreparedBy)}, {LabelPlanPreparedOn, a.PreparedOn},
		{LabelPlanReviewed, by(a.ReviewedBy)}, {LabelPlanReviewedOn, a.ReviewedOn},
	}
}

// blankSignOff stands for a name the plan's sign-off left blank.
const blankSignOff = "(left blank in the plan)"

// lines is "1 line" or "n lines".
func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// chart draws the line statuses that have lines as bars, one colour per
// family, from a block of hidden columns (a chart plots hidden cells:
// plotVisOnly is off).
func chart(s *book.Summary, c *Counts, at, _ int) error {
	const dataCol = book.SummaryCols + 3 // J: status, then one column per family
	var statuses []record.Status
	for _, st := range record.Statuses {
		if c.Lines[st] > 0 {
			statuses = append(statuses, st)
		}
	}
	if len(statuses) == 0 {
		return nil
	}
	var families []record.Family
	for _, fam := range record.Families {
		for _, st := range statuses {
			if st.Family() == fam {
				families = append(families, fam)
				break
			}
		}
	}
	top := at
	s.Set(dataCol, top, "Status", 0)
	for i, fam := range families {
		s.Set(dataCol+1+i, top, familyNames[fam], 0)
	}
	for k, st := range statuses {
		s.Set(dataCol, top+1+k, string(st), 0)
		s.Set(dataCol+1+slices.Index(families, st.Family()), top+1+k, c.Lines[st], 0)
	}
	if s.Err != nil {
		return s.Err
	}
	colName := func(n int) string { name, _ := excelize.ColumnNumberToName(n); return name }
	var series []excelize.ChartSeries
	for i, fam := range families {
		col := colName(dataCol + 1 + i)
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", SummarySheet, col, top),
			Categories: fmt.Sprintf("%s!$%s$%d:$%s$%d", SummarySheet, colName(dataCol), top+1, colName(dataCol), top+len(statuses)),
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", SummarySheet, col, top+1, col, top+len(statuses)),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{chartColours[fam]}},
		})
	}
	if err := s.F.SetColVisible(SummarySheet, colName(dataCol)+":"+colName(dataCol+len(families)), false); err != nil {
		return err
	}
	no, overlap, gap := false, 100, uint(60)
	black := excelize.Font{Color: "000000", Size: 9}
	return s.F.AddChart(SummarySheet, fmt.Sprintf("A%d", at), &excelize.Chart{
		Type:       excelize.BarStacked,
		Series:     series,
		VaryColors: &no,
		Overlap:    &overlap,
		GapWidth:   &gap,
		Title:      []excelize.RichTextRun{{Text: "Lines by status"}},
		Legend:     excelize.ChartLegend{Position: "bottom"},
		XAxis:      excelize.ChartAxis{Font: black, ReverseOrder: true},
		YAxis:      excelize.ChartAxis{Font: black, MajorGridLines: true},
		Dimension:  excelize.ChartDimension{Width: 720, Height: 340},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
	})
}

// chartColours are the families' bar colours: the fills' stronger tones.
var chartColours = map[record.Family]string{
	record.FamilyDone: "5B9B5B", record.FamilyWould: "4472C4", record.FamilyRetry: "E0A526",
	record.FamilyPerson: "C0504D", record.FamilyIgnored: "A6A6A6",
}

// statusRank orders outcomes as the statuses are listed, "partial" last.
func statusRank(o string) int {
	if i := slices.Index(record.Statuses, record.Status(o)); i >= 0 {
		return i
	}
	return len(record.Statuses)
}
