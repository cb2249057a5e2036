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
	return headerFooter("pcreconcile — "+Title(m), m.Endpoint == record.SandboxEndpoint, "run "+m.RunID, filepath.Base(m.Input.Name))
}

// headerFooter heads each printed page with title (left), the SANDBOX
// marking (centre) and right, and foots it with the sheet, source and the
// page number.
func headerFooter(title string, sandbox bool, right, source string) *excelize.HeaderFooterOptions {
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	header := "&L&B" + esc(title) + "&B"
	if sandbox {
		header += "&C&BSANDBOX: no real orders were changed&B"
	}
	header += "&R" + esc(right)
	footer := "&L&A — " + esc(source) + "&RPage &P of &N"
	return &excelize.HeaderFooterOptions{OddHeader: record.Clip(header, 255), OddFooter: record.Clip(footer, 255)}
}

// summaryCols is how wide the Summary is: labels in A, values across B:G.
const summaryCols = 7

// familyNames label the chart's series.
var familyNames = map[record.Family]string{
	record.FamilyDone: "done", record.FamilyWould: "would cancel", record.FamilyRetry: "to retry",
	record.FamilyPerson: "needs a person", record.FamilyIgnored: "ignored",
}

// summary lays out the Summary sheet top to bottom.
type summary struct {
	f    *excelize.File
	st   *styles
	row  int
	cols int // the widest row, for the sheet's dimension
	err  error
}

func (s *summary) set(col, row int, v any, style int) {
	if s.err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err == nil {
		err = s.f.SetCellValue(SummarySheet, cell, v)
	}
	if err == nil && style != 0 {
		err = s.f.SetCellStyle(SummarySheet, cell, cell, style)
	}
	s.err = err
	s.cols = max(s.cols, col)
}

// span writes v across columns from..to of row, merged.
func (s *summary) span(from, to, row int, v any, style int) {
	s.set(from, row, v, style)
	if s.err != nil || to <= from {
		return
	}
	s.cols = max(s.cols, to)
	a, _ := excelize.CoordinatesToCellName(from, row)
	b, _ := excelize.CoordinatesToCellName(to, row)
	if s.err = s.f.MergeCell(SummarySheet, a, b); s.err == nil {
		s.err = s.f.SetCellStyle(SummarySheet, a, b, style)
	}
}

// field writes a label and its value, the value across B:G.
func (s *summary) field(label string, v any, style int) {
	s.row++
	s.set(1, s.row, label, s.st.bold)
	s.span(2, summaryCols, s.row, v, style)
	// A long value wraps across B:G; its row is made tall enough for it.
	if text, ok := v.(string); ok && s.err == nil {
		if n := textLines(text, (summaryCols-1)*summaryWidth); n > 1 {
			s.err = s.f.SetRowHeight(SummarySheet, s.row, float64(min(n*rowHeight, maxRowHeight)))
		}
	}
}

// The Summary's columns: labels in A, as wide as the longest (bold); values
// across B:G.
const (
	labelWidth   = 46
	summaryWidth = 16
)

// header writes a table's header row.
func (s *summary) header(cols ...string) {
	s.row++
	for i, c := range cols {
		s.set(i+1, s.row, c, s.st.header)
	}
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
func writeSummary(f *excelize.File, st *styles, m Meta, c *Counts) error {
	s := &summary{f: f, st: st}
	plan := m.Mode == record.Plan
	s.row = 1
	if plan {
		s.set(1, 1, Title(m), st.plan)
	} else {
		s.set(1, 1, Title(m), st.title)
	}
	if m.Endpoint == record.SandboxEndpoint {
		s.row++
		s.span(1, summaryCols, s.row, "SANDBOX — the built-in Partner Center simulator: no real orders were changed", st.sandbox)
	}
	s.row++

	duration := m.Finished.Sub(m.Started)
	s.field(LabelVersion, m.Version, st.left)
	s.field(LabelCommandLine, m.CommandLine, st.left)
	s.field(LabelCommand, m.Mode.String(), st.left)
	endpointStyle := st.left
	if m.Endpoint == record.SandboxEndpoint {
		endpointStyle = st.sandbox // say it loudly: nothing real happened
	}
	s.field(LabelEndpoint, m.Endpoint, endpointStyle)
	s.field(LabelTenant, m.Tenant, st.left)
	s.field(LabelConfig, m.Config, st.left)
	s.field(LabelRunBy, m.RunBy, st.left)
	s.field(LabelIdentity, m.Identity, st.left)
	if m.Confirmed != "" {
		s.field(LabelConfirmed, m.Confirmed, st.left)
	}
	s.field(LabelInput, filepath.Base(m.Input.Name), st.left)
	s.field(LabelInputPath, m.Input.Path, st.left)
	s.field(LabelInputSHA, m.Input.SHA256, st.left)
	s.field(LabelInputRows, c.Rows.Len(), st.left)
	s.field(LabelInputRowNumbers, rowNumbers(&c.Rows), st.left)
	s.field(LabelLines, c.TotalLines, st.left)
	s.field(LabelLeft, c.Unfinished, st.left)
	s.field(LabelResumed, m.ResumedFrom, st.left)
	s.field(LabelRunID, m.RunID, st.left)
	s.field(LabelChainID, cmp.Or(m.ChainID, m.RunID), st.left)
	if p := m.Parent; p != nil {
		s.field(LabelParentRun, p.RunID, st.left)
		s.field(LabelParentFile, p.Path, st.left)
		s.field(LabelParentSHA, p.SHA256, st.left)
		s.field(LabelParentSeal, p.Seal, st.left)
	}
	for _, f := range approvalFields(m.Approval) {
		s.field(f.label, f.value, st.left)
	}
	s.field(LabelSeal, c.Seal, st.left)
	s.field(LabelStarted, wholeSecond(m.Started.UTC()), st.dateTimeLeft)
	s.field(LabelFinished, wholeSecond(m.Finished.UTC()), st.dateTimeLeft)
	s.field(LabelDurationSeconds, duration.Round(time.Millisecond).Seconds(), st.left)
	s.field(LabelDuration, duration.Round(time.Second).String(), st.left)
	s.field(LabelConcurrency, m.Concurrency, st.left)
	s.field(LabelRate, m.Rate, st.left)
	s.field(LabelResult, c.Result, st.left)
	if c.Unfinished > 0 && m.Continue != "" {
		label := LabelContinue
		if plan {
			label = LabelExecute
		}
		s.field(label, m.Continue, st.left)
	}
	s.field(LabelPrices, pricesNote(c), st.left)
	s.field(LabelWindows, m.Windows.Describe(c.KindFrom), st.left)
	s.field(LabelQuantity, c.QuantityCancelled, st.left)
	currencies := c.Currencies()
	if plan {
		for _, cur := range sortedKeys(c.WouldCancel) {
			if x := c.WouldCancel[cur]; cur != "" && x.Lines > x.Unpriced {
				s.field(fmt.Sprintf("%s (%s)", LabelWouldCancel, cur), x.Amount.InexactFloat64(), st.moneyLeft)
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
		s.field(fmt.Sprintf("%s (%s)", LabelAmountThisRun, cur), now.InexactFloat64(), st.moneyLeft)
		s.field(fmt.Sprintf("%s (%s)", LabelAmountCarried, cur), x.Amount.Sub(now).InexactFloat64(), st.moneyLeft)
		s.field(fmt.Sprintf("%s (%s)", LabelAmount, cur), x.Amount.InexactFloat64(), st.moneyLeft)
	}

	// Lines, quantities and what they are worth, per status.
	s.row++
	head := []string{"Lines by status", "Lines", "Quantity Before"}
	for _, cur := range currencies {
		head = append(head, "Value "+cur)
	}
	s.header(head...)
	first := s.row + 1
	total := map[string]decimal.Decimal{}
	var lines, qty int
	for _, status := range record.Statuses {
		s.row++
		s.set(1, s.row, string(status), st.status[status.Family()])
		s.set(2, s.row, c.Lines[status], 0)
		s.set(3, s.row, c.Quantity[status], 0)
		for i, cur := range currencies {
			if v, ok := c.Value[status][cur]; ok {
				s.set(4+i, s.row, v.InexactFloat64(), st.money)
				total[cur] = total[cur].Add(v)
			}
		}
		lines += c.Lines[status]
		qty += c.Quantity[status]
	}
	s.row++
	s.set(1, s.row, "Total", st.total)
	s.set(2, s.row, lines, st.total)
	s.set(3, s.row, qty, st.total)
	for i, cur := range currencies {
		s.set(4+i, s.row, total[cur].InexactFloat64(), st.totalMoney)
	}
	s.row++
	s.span(1, summaryCols, s.row, "Value: Unit Price × Quantity Before, in the order's currency; a line without a price counts in Lines and Quantity only. Amounts of different currencies are never added.", st.note)

	// What was cancelled, per currency.
	s.row++
	s.header("Cancelled by currency", "Lines", "Quantity", "Amount", "Unpriced lines")
	cancelled := slices.Sorted(func(yield func(string) bool) {
		for cur := range c.Cancelled {
			if !yield(cur) {
				return
			}
		}
	})
	if len(cancelled) == 0 {
		s.row++
		s.set(1, s.row, "nothing was cancelled", st.note)
	}
	for _, cur := range cancelled {
		x := c.Cancelled[cur]
		s.row++
		name := cur
		if name == "" {
			name = "(no currency given)"
		}
		s.set(1, s.row, name, 0)
		s.set(2, s.row, x.Lines, 0)
		s.set(3, s.row, x.Quantity, 0)
		if x.Lines > x.Unpriced {
			s.set(4, s.row, x.Amount.InexactFloat64(), st.money)
		}
		s.set(5, s.row, x.Unpriced, 0)
	}

	// Orders per outcome.
	s.row++
	s.header("Orders by outcome", "Orders")
	outcomes := make([]string, 0, len(c.Orders))
	for o := range c.Orders {
		outcomes = append(outcomes, o)
	}
	sort.Slice(outcomes, func(i, j int) bool {
		ri, rj := statusRank(outcomes[i]), statusRank(outcomes[j])
		return ri < rj || ri == rj && outcomes[i] < outcomes[j]
	})
	for _, o := range outcomes {
		s.row++
		s.set(1, s.row, o, st.status[record.Status(o).Family()])
		s.set(2, s.row, c.Orders[o], 0)
	}
	s.row++
	s.set(1, s.row, "Total", st.total)
	s.set(2, s.row, c.TotalOrders, st.total)

	// The chart, from the statuses that have lines.
	s.row += 2
	chartRow := s.row
	const chartRows = 18 // the rows the chart covers, at its height
	s.row += chartRows
	if err := s.chart(c, chartRow, first); err != nil {
		return err
	}

	// Sign-off: filled in by hand, on paper or in the file.
	s.row++
	s.header("Sign-off")
	for _, who := range []string{"Prepared by", "Reviewed by"} {
		s.row += 2
		s.set(1, s.row, who, st.bold)
		s.span(2, 4, s.row, "", st.signature)
		s.set(5, s.row, "Date", st.bold)
		s.span(6, summaryCols, s.row, "", st.signature)
	}
	// The chart's data sits in hidden columns beyond the page.
	return s.finish(pageHeaderFooter(m))
}

// finish sizes the Summary sheet and sets it up for print: one page wide,
// as many pages tall as it needs at a legible size — it is what an auditor
// files — under the workbook's page header and footer.
func (s *summary) finish(hf *excelize.HeaderFooterOptions) error {
	if s.err != nil {
		return s.err
	}
	if err := s.f.SetColWidth(SummarySheet, "A", "A", labelWidth); err != nil {
		return err
	}
	if err := s.f.SetColWidth(SummarySheet, "B", "G", summaryWidth); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(s.cols, s.row)
	if err != nil {
		return err
	}
	if err := s.f.SetSheetDimension(SummarySheet, "A1:"+last); err != nil {
		return err
	}
	one, tall, portrait, fit := 1, 0, "portrait", true
	if err := s.f.SetPageLayout(SummarySheet, &excelize.PageLayoutOptions{Orientation: &portrait, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	if err := s.f.SetHeaderFooter(SummarySheet, hf); err != nil {
		return err
	}
	return s.f.SetSheetProps(SummarySheet, &excelize.SheetPropsOptions{FitToPage: &fit})
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
func (s *summary) chart(c *Counts, at, _ int) error {
	const dataCol = summaryCols + 3 // J: status, then one column per family
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
	s.set(dataCol, top, "Status", 0)
	for i, fam := range families {
		s.set(dataCol+1+i, top, familyNames[fam], 0)
	}
	for k, st := range statuses {
		s.set(dataCol, top+1+k, string(st), 0)
		s.set(dataCol+1+slices.Index(families, st.Family()), top+1+k, c.Lines[st], 0)
	}
	if s.err != nil {
		return s.err
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
	if err := s.f.SetColVisible(SummarySheet, colName(dataCol)+":"+colName(dataCol+len(families)), false); err != nil {
		return err
	}
	no, overlap, gap := false, 100, uint(60)
	black := excelize.Font{Color: "000000", Size: 9}
	return s.f.AddChart(SummarySheet, fmt.Sprintf("A%d", at), &excelize.Chart{
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
