// Package report writes the reconciliation workbook — Summary, Lines and
// Orders sheets — and reads it back for `run --resume`.
//
// The sheet and column names are a contract: other programs read these
// workbooks, and so does the resume path of this one. The workbook is
// streamed (excelize StreamWriter, nothing buffered per row) to a temporary
// file that is renamed into place only when complete.
package report

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report/atomicfile"
)

// Sheet names.
const (
	SummarySheet = "Summary"
	LinesSheet   = "Lines"
	OrdersSheet  = "Orders"
)

// The columns of the Lines and Orders sheets are batch.LineTable and
// batch.OrderTable; the input's extra columns follow the Lines sheet's own.
var (
	lineColumns  = batch.LineTable.Sheet()
	orderColumns = batch.OrderTable.Sheet()
)

// MaxSheetRows is Excel's row limit; the Lines sheet continues on "Lines 2",
// "Lines 3", … past it (each with its header row).
var MaxSheetRows = excelize.TotalRows

// SandboxEndpoint is what the Summary says of a run against the simulator.
const SandboxEndpoint = "SANDBOX — no real orders were changed"

// Summary labels (column A of the Summary sheet); Read looks values up by
// them.
const (
	LabelVersion     = "Tool version"
	LabelCommand     = "Command"
	LabelEndpoint    = "Endpoint"
	LabelTenant      = "Partner tenant"
	LabelIdentity    = "Run by"
	LabelInput       = "Input file"
	LabelInputSHA    = "Input SHA-256"
	LabelInputPath   = "Input path"
	LabelResumed     = "Resumed from"
	LabelRunID       = "Run ID"
	LabelStarted     = "Started (UTC)"
	LabelFinished    = "Finished (UTC)"
	LabelDuration    = "Duration"
	LabelConcurrency = "Concurrency"
	LabelRate        = "Rate"
	LabelResult      = "Result"
	LabelQuantity    = "Total quantity cancelled"
)

// Meta is what the Summary sheet says about the run.
type Meta struct {
	Version     string
	Command     string // run or plan
	Endpoint    string // URL, or SandboxEndpoint
	Tenant      string
	Identity    string // who or what ran it (app id, never a secret)
	Input       batch.Source
	ResumedFrom string
	RunID       string
	Started     time.Time
	Finished    time.Time
	Concurrency int
	Rate        string
	// Result says how the run ended ("complete", "interrupted …", …).
	Result string
}

// Counts are the totals of a written report.
type Counts struct {
	Lines    map[batch.Status]int
	Quantity map[batch.Status]int // sum of Quantity Before per status
	Orders   map[string]int       // by outcome
	// TotalLines and TotalOrders count rows of the Lines and Orders sheets.
	TotalLines, TotalOrders int
	// QuantityCancelled is what this run and earlier ones cancelled.
	QuantityCancelled int
	// Unfinished counts lines `run --resume` would process.
	Unfinished int
}

// Options says what to write where.
type Options struct {
	Path  string
	Force bool // replace an existing file
	Meta  Meta
	Plan  *batch.Plan
	// Records are the outcomes (the run's journal).
	Records batch.Records
	// TmpDir holds excelize's temporary files (default: the OS's).
	TmpDir string
}

// ErrExists is returned when the report exists and Force is not set.
var ErrExists = errors.New("report exists")

// Write writes the workbook. The file appears complete or not at all: it
// is written to a temporary file beside Path and renamed into place.
//
// The whole plan stays live while the lines stream past it; the caller
// decides whether to trade time for a lower peak (debug.SetGCPercent).
func Write(opts Options) (*Counts, error) {
	if !opts.Force {
		if _, err := os.Stat(opts.Path); err == nil {
			return nil, fmt.Errorf("%s: %w", opts.Path, ErrExists)
		}
	}
	f := excelize.NewFile(excelize.Options{TmpDir: opts.TmpDir})
	defer f.Close()
	w, err := newWriter(f, opts.Plan.Extra)
	if err != nil {
		return nil, err
	}
	if err := w.write(opts.Plan, opts.Records, opts.Meta.RunID); err != nil {
		return nil, err
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	// Summary stays the active sheet: it is the first, and SetActiveSheet
	// would make excelize parse the streamed sheets back into memory.
	if err := writeSummary(f, w.styles, opts.Meta, w.counts); err != nil {
		return nil, err
	}
	return w.counts, save(f, opts.Path, opts.Force)
}

// save writes f to path through a synced temporary file — refusing to
// replace an existing file unless force.
func save(f *excelize.File, path string, force bool) error {
	fill := func(out io.Writer) error {
		// excelize assembles the whole archive in a bytes.Buffer before
		// writing it out — for a million lines over 100 MB, doubled while the
		// buffer grows. Its zip-writer hook lets the archive go straight to
		// the file instead; the buffer it offers stays empty. The Lines sheet
		// is ~1 GB of XML, compressed in one go here: klauspost/compress's
		// fastest level does it in a third of the standard library's time.
		var zerr error
		f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
			z := zip.NewWriter(out)
			z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
				w, err := flate.NewWriter(out, flate.BestSpeed)
				if err != nil {
					zerr = err
				}
				return w, err
			})
			return z
		})
		n, err := f.WriteTo(io.Discard)
		if err == nil && n != 0 {
			err = fmt.Errorf("excelize wrote %d bytes past the zip writer", n)
		}
		return errors.Join(err, zerr)
	}
	// A report is an ordinary document: readable by others, like any file.
	if force {
		return atomicfile.Write(path, 0o644, fill)
	}
	err := atomicfile.Create(path, 0o644, fill)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	return err
}

type styles struct {
	header, date, dateTime, wrap, money int
	status                              map[batch.Family]int
	bold, title, left, sandbox          int
	dateTimeLeft                        int
}

// familyColours colour a status by its family: Excel's own Good (done),
// Neutral (to retry) and Bad (needs a person) cell styles, a light blue for
// what a plan would do, grey for rows that asked for nothing.
var familyColours = map[batch.Family]struct{ font, fill string }{
	batch.FamilyDone:    {"006100", "C6EFCE"},
	batch.FamilyWould:   {"1F4E79", "DDEBF7"},
	batch.FamilyRetry:   {"9C5700", "FFEB9C"},
	batch.FamilyPerson:  {"9C0006", "FFC7CE"},
	batch.FamilyIgnored: {"595959", "EDEDED"},
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{status: map[batch.Family]int{}}
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.header = mk(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	dateFmt, dateTimeFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	s.date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	s.dateTime = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt})
	// Two decimals always, up to four when a unit price has them.
	moneyFmt := "#,##0.00##"
	s.money = mk(&excelize.Style{CustomNumFmt: &moneyFmt})
	for fam, c := range familyColours {
		s.status[fam] = mk(&excelize.Style{Font: &excelize.Font{Color: c.font}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}}})
	}
	s.bold = mk(&excelize.Style{Font: &excelize.Font{Bold: true}})
	s.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	s.wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.left = mk(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.dateTimeLeft = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.sandbox = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C5700"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}})
	return s, err
}

// writer streams the Lines and Orders sheets.
type writer struct {
	f       *excelize.File
	styles  *styles
	extra   []string
	lines   *excelize.StreamWriter
	orders  *excelize.StreamWriter
	lineN   int // rows written on the current Lines sheet, header included
	orderN  int
	sheetNo int
	row     []any
	counts  *Counts
}

func newWriter(f *excelize.File, extra []string) (*writer, error) {
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	w := &writer{
		f: f, styles: st, extra: extra,
		row:    make([]any, len(lineColumns)+len(extra)),
		counts: &Counts{Lines: map[batch.Status]int{}, Quantity: map[batch.Status]int{}, Orders: map[string]int{}},
	}
	if _, err := f.NewSheet(LinesSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(OrdersSheet); err != nil {
		return nil, err
	}
	if w.lines, err = w.startLines(LinesSheet); err != nil {
		return nil, err
	}
	if w.orders, err = f.NewStreamWriter(OrdersSheet); err != nil {
		return nil, err
	}
	if err := setup(f, w.orders, batch.OrderTable.Headers(), widths(orderColumns)); err != nil {
		return nil, err
	}
	if err := w.orders.SetRow("A1", headerRow(batch.OrderTable.Headers(), st.header)); err != nil {
		return nil, err
	}
	w.orderN = 1
	return w, nil
}

// widths returns the widths of a sheet's own columns.
func widths[T any](t batch.Table[T]) []float64 {
	out := make([]float64, len(t))
	for i, c := range t {
		out[i] = c.Width
	}
	return out
}

func setup(f *excelize.File, sw *excelize.StreamWriter, cols []string, widths []float64) error {
	// The stream writer writes the page setup of its worksheet at Flush.
	landscape := "landscape"
	if err := f.SetPageLayout(sw.Sheet, &excelize.PageLayoutOptions{Orientation: &landscape}); err != nil {
		return err
	}
	for i, wd := range widths[:min(len(widths), len(cols))] {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	// The extra columns take the sheet's default width. (A width per column
	// would cost excelize time quadratic in the columns, for every cell.)
	if len(cols) > len(widths) {
		wd := 16.0
		if err := f.SetSheetProps(sw.Sheet, &excelize.SheetPropsOptions{DefaultColWidth: &wd}); err != nil {
			return err
		}
	}
	return sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func headerRow(cols []string, style int) []any {
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = excelize.Cell{StyleID: style, Value: c}
	}
	return row
}

func (w *writer) startLines(name string) (*excelize.StreamWriter, error) {
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	cols := append(batch.LineTable.Headers(), w.extra...)
	if err := setup(w.f, sw, cols, widths(lineColumns)); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", headerRow(cols, w.styles.header)); err != nil {
		return nil, err
	}
	w.lineN = 1
	return sw, nil
}

// nextLinesSheet finishes the current Lines sheet and starts "Lines N".
func (w *writer) nextLinesSheet() error {
	prev, prevName, rows := w.lines, w.currentLinesName(), w.lineN
	w.sheetNo++
	name := w.currentLinesName()
	if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	// Keep the Lines sheets together, before Orders. MoveSheet touches every
	// worksheet: it must run while they are all still streaming, since
	// excelize would parse a flushed one back into memory — a million rows.
	if err := w.f.MoveSheet(name, OrdersSheet); err != nil {
		return err
	}
	if err := w.finishSheet(prev, prevName, len(lineColumns)+len(w.extra), rows); err != nil {
		return err
	}
	var err error
	w.lines, err = w.startLines(name)
	return err
}

func (w *writer) currentLinesName() string {
	if w.sheetNo == 0 {
		return LinesSheet
	}
	return fmt.Sprintf("%s %d", LinesSheet, w.sheetNo+1)
}

// finishSheet adds the filter over the written range and flushes the sheet.
func (w *writer) finishSheet(sw *excelize.StreamWriter, name string, cols, rows int) error {
	last, err := excelize.CoordinatesToCellName(cols, max(rows, 2))
	if err != nil {
		return err
	}
	// Set on the stream writer's worksheet before Flush, which writes it.
	if err := w.f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return err
	}
	return sw.Flush()
}

func (w *writer) flush() error {
	if err := w.finishSheet(w.lines, w.currentLinesName(), len(lineColumns)+len(w.extra), w.lineN); err != nil {
		return err
	}
	return w.finishSheet(w.orders, OrdersSheet, len(orderColumns), w.orderN)
}

// excelSerial converts a time to Excel's serial date (days since 1899-12-30)
// in UTC; passing numbers spares excelize a time conversion per cell.
func excelSerial(t time.Time) float64 {
	return float64(t.UTC().UnixNano())/float64(24*time.Hour) + 25569
}

type item struct {
	res     *batch.OrderResult
	isOrder bool
}

// write streams the plan's outcomes into the Lines and Orders sheets. Three
// goroutines share the work: one reads the outcomes (decoding the journal),
// one writes Lines, one writes Orders — excelize writes one sheet on one
// core, and a million lines are ~20 million cells.
func (w *writer) write(p *batch.Plan, recs batch.Records, runID string) error {
	g, ctx := errgroup.WithContext(context.Background())
	items := make(chan item, 512)
	orders := make(chan *batch.OrderResult, 512)
	g.Go(func() error {
		defer close(items)
		return p.Results(recs, runID, func(res *batch.OrderResult, isOrder bool) error {
			select {
			case items <- item{res, isOrder}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	g.Go(func() error {
		defer close(orders)
		for it := range items {
			if err := w.addLines(it.res); err != nil {
				return err
			}
			if !it.isOrder {
				continue
			}
			select {
			case orders <- it.res:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		for res := range orders {
			if err := w.addOrder(res); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// addLines writes the lines of an order or row (the Lines goroutine).
func (w *writer) addLines(res *batch.OrderResult) error {
	c := w.counts
	for i := range res.Lines {
		l := &res.Lines[i]
		if w.lineN >= MaxSheetRows {
			if err := w.nextLinesSheet(); err != nil {
				return err
			}
		}
		w.lineN++
		c.TotalLines++
		c.Lines[l.Status]++
		if l.Before != nil {
			c.Quantity[l.Status] += *l.Before
		}
		c.QuantityCancelled += l.QuantityCancelled()
		if l.Status.Retryable() {
			c.Unfinished++
		}
		if err := w.lines.SetRow(cellName(w.lineN), w.lineRow(l)); err != nil {
			return err
		}
	}
	return nil
}

// addOrder writes a row of the Orders sheet (the Orders goroutine).
func (w *writer) addOrder(res *batch.OrderResult) error {
	c := w.counts
	w.orderN++
	c.TotalOrders++
	c.Orders[res.Outcome]++
	row := make([]any, len(orderColumns))
	for i, col := range orderColumns {
		row[i] = w.cell(col.Format, col.Get(res))
	}
	return w.orders.SetRow(cellName(w.orderN), row)
}

// cell is a value of a column as the stream writer takes it: dates and
// times as serial numbers with their formats, statuses coloured.
func (w *writer) cell(f batch.Format, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		style := w.styles.date
		if f == batch.FormatTime {
			style = w.styles.dateTime
		}
		return excelize.Cell{StyleID: style, Value: excelSerial(v)}
	case decimal.Decimal:
		// Excel holds a double; the decimal's exact digits are what the
		// journal keeps and what every total is summed from.
		return excelize.Cell{StyleID: w.styles.money, Value: v.InexactFloat64()}
	}
	if f == batch.FormatStatus {
		s := batch.Text(v)
		return excelize.Cell{StyleID: w.styles.status[batch.Status(s).Family()], Value: s}
	}
	return v
}

func cellName(row int) string {
	name, _ := excelize.CoordinatesToCellName(1, row)
	return name
}

func (w *writer) lineRow(l *batch.LineResult) []any {
	r := w.row
	clear(r)
	for i, col := range lineColumns {
		r[i] = w.cell(col.Format, col.Get(l))
	}
	for i, c := range l.Extras {
		if len(lineColumns)+i < len(r) {
			r[len(lineColumns)+i] = w.extraValue(c)
		}
	}
	return r
}

// extraValue writes an extra column's cell with its type: numbers as
// numbers, dates as dates, text as text.
func (w *writer) extraValue(c sheet.Cell) any {
	switch c.Kind {
	case sheet.Empty:
		return nil
	case sheet.Number:
		return c.Num
	case sheet.Bool:
		return c.Text == "TRUE"
	case sheet.Date:
		style := w.styles.date
		if y, m, d := c.Time.Date(); c.Time != time.Date(y, m, d, 0, 0, 0, 0, c.Time.Location()) {
			style = w.styles.dateTime
		}
		return excelize.Cell{StyleID: style, Value: excelSerial(c.Time)}
	}
	return c.Text
}

// writeSummary fills the Summary sheet and its chart of line statuses.
func writeSummary(f *excelize.File, st *styles, m Meta, c *Counts) error {
	s := SummarySheet
	set := func(cell string, v any, style int) error {
		if err := f.SetCellValue(s, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(s, cell, cell, style)
		}
		return nil
	}
	if err := set("A1", "pcreconcile reconciliation report", st.title); err != nil {
		return err
	}
	kv := [][2]any{
		{LabelVersion, m.Version},
		{LabelCommand, m.Command},
		{LabelEndpoint, m.Endpoint},
		{LabelTenant, m.Tenant},
		{LabelIdentity, m.Identity},
		{LabelInput, filepath.Base(m.Input.Name)},
		{LabelInputPath, m.Input.Path},
		{LabelInputSHA, m.Input.SHA256},
		{LabelResumed, m.ResumedFrom},
		{LabelRunID, m.RunID},
		{LabelStarted, m.Started.UTC()},
		{LabelFinished, m.Finished.UTC()},
		{LabelDuration, m.Finished.Sub(m.Started).Round(time.Second).String()},
		{LabelConcurrency, m.Concurrency},
		{LabelRate, m.Rate},
		{LabelResult, m.Result},
		{LabelQuantity, c.QuantityCancelled},
	}
	row := 3
	for _, p := range kv {
		if err := set(fmt.Sprintf("A%d", row), p[0], st.bold); err != nil {
			return err
		}
		style := st.left
		switch {
		case p[0] == LabelEndpoint && m.Endpoint == SandboxEndpoint:
			style = st.sandbox // say it loudly: nothing real happened
		case p[0] == LabelStarted || p[0] == LabelFinished:
			style = st.dateTimeLeft
		}
		if err := set(fmt.Sprintf("B%d", row), p[1], style); err != nil {
			return err
		}
		row++
	}
	row++
	for i, h := range []string{"Lines by status", "Lines", "Quantity Before"} {
		if err := set(fmt.Sprintf("%c%d", 'A'+i, row), h, st.header); err != nil {
			return err
		}
	}
	statusStart := row + 1
	for _, status := range batch.Statuses {
		row++
		if err := set(fmt.Sprintf("A%d", row), string(status), st.status[status.Family()]); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("B%d", row), c.Lines[status], 0); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("C%d", row), c.Quantity[status], 0); err != nil {
			return err
		}
	}
	statusEnd := row
	row++
	if err := set(fmt.Sprintf("A%d", row), "Total", st.bold); err != nil {
		return err
	}
	if err := set(fmt.Sprintf("B%d", row), c.TotalLines, st.bold); err != nil {
		return err
	}
	row += 2
	if err := set(fmt.Sprintf("A%d", row), "Orders by outcome", st.header); err != nil {
		return err
	}
	if err := set(fmt.Sprintf("B%d", row), "Orders", st.header); err != nil {
		return err
	}
	outcomes := make([]string, 0, len(c.Orders))
	for o := range c.Orders {
		outcomes = append(outcomes, o)
	}
	sort.Slice(outcomes, func(i, j int) bool {
		ri, rj := statusRank(outcomes[i]), statusRank(outcomes[j])
		return ri < rj || ri == rj && outcomes[i] < outcomes[j]
	})
	for _, o := range outcomes {
		row++
		if err := set(fmt.Sprintf("A%d", row), o, st.status[batch.Status(o).Family()]); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("B%d", row), c.Orders[o], 0); err != nil {
			return err
		}
	}
	row++
	if err := set(fmt.Sprintf("A%d", row), "Total", st.bold); err != nil {
		return err
	}
	if err := set(fmt.Sprintf("B%d", row), c.TotalOrders, st.bold); err != nil {
		return err
	}
	for col, width := range map[string]float64{"A": 28, "B": 68, "C": 16} {
		if err := f.SetColWidth(s, col, col, width); err != nil {
			return err
		}
	}
	// Printed, the summary fits one page: it is what an auditor files.
	one, portrait, fit := 1, "portrait", true
	if err := f.SetPageLayout(s, &excelize.PageLayoutOptions{Orientation: &portrait, FitToWidth: &one, FitToHeight: &one}); err != nil {
		return err
	}
	if err := f.SetSheetProps(s, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return addStatusChart(f, fmt.Sprintf("A%d", row+2), statusStart, statusEnd)
}

// addStatusChart draws the lines-by-status table as bars.
func addStatusChart(f *excelize.File, at string, first, last int) error {
	s := SummarySheet
	no := false
	black := excelize.Font{Color: "000000", Size: 9}
	return f.AddChart(s, at, &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("%s!$B$%d", s, first-1),
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", s, first, last),
			Values:     fmt.Sprintf("%s!$B$%d:$B$%d", s, first, last),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"4472C4"}},
		}},
		VaryColors: &no,
		Title:      []excelize.RichTextRun{{Text: "Lines by status"}},
		Legend:     excelize.ChartLegend{Position: "none"},
		XAxis:      excelize.ChartAxis{Font: black, ReverseOrder: true},
		YAxis:      excelize.ChartAxis{Font: black, MajorGridLines: true},
		Dimension:  excelize.ChartDimension{Width: 720, Height: 360},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
	})
}

// statusRank orders outcomes as the statuses are listed, "partial" last.
func statusRank(o string) int {
	if i := slices.Index(batch.Statuses, batch.Status(o)); i >= 0 {
		return i
	}
	return len(batch.Statuses)
}
