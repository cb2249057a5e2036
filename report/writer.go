// Package report writes the reconciliation workbook — Summary, Lines,
// Orders and Customers sheets — and reads it back for `run --resume`.
//
// The sheet and column names are a contract: other programs read these
// workbooks, and so does the resume path of this one. The columns are the
// tables of package batch (LineTable, OrderTable, CustomerTable). The
// workbook is streamed (excelize StreamWriter, nothing buffered per row)
// to a temporary file that is renamed into place only when complete.
//
// What every workbook is written with (styles, streamed tables, print
// setup, document properties, saving) is package book; the totals are
// package totals. The seal, the reader and the verifier live here with
// the writer: they share one canonical form of every sealed value.
package report

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/report/book"
	"github.com/pcreconcile/pcreconcile/report/totals"
)

// Sheet names.
const (
	SummarySheet   = book.SummarySheet
	LinesSheet     = "Lines"
	OrdersSheet    = "Orders"
	CustomersSheet = "Customers"
)

// The columns of the Lines, Orders and Customers sheets are batch's tables;
// the input's extra columns follow the Lines sheet's own.
var (
	lineColumns     = record.LineTable.Sheet()
	orderColumns    = record.OrderTable.Sheet()
	customerColumns = record.CustomerTable.Sheet()
)

// MaxSheetRows is Excel's row limit; the Lines sheet continues on "Lines 2",
// "Lines 3", … past it (each with its header row).
var MaxSheetRows = excelize.TotalRows

// Meta is what the Summary sheet says about the run.
type Meta struct {
	Version string
	Mode    record.Mode
	// CommandLine is the command as typed, arguments quoted.
	CommandLine string
	Endpoint    string // URL, or record.SandboxEndpoint
	Tenant      string
	// Config is the config file the run used ("" for none): a resume must
	// use it again.
	Config string
	// RunBy is the OS user and host that ran it; Identity the app or token
	// it acted as (an app id, never a secret).
	RunBy       string
	Identity    string
	Input       record.Source
	ResumedFrom string
	RunID       string
	// ChainID is the run id of the chain's first link; Parent the link this
	// run continued (nil for a first link).
	ChainID     string
	Parent      *record.Parent
	Started     time.Time
	Finished    time.Time
	Concurrency int
	Rate        string
	// Stopped says why the run ended before its work did: "" when it ran
	// to the end, Interrupted, or "aborted: …" with the reason.
	Stopped string
	// NothingToDo is a resume that found every line finished already.
	NothingToDo bool
	// Continue is the command that continues the work (resumes this
	// report, or executes this plan): the Summary shows it while lines are
	// left to do.
	Continue string
	// Approval is the signed-off plan this run executes (nil for none);
	// Confirmed says how the run was confirmed: at the prompt by whom, or
	// --yes.
	Approval  *record.Approval
	Confirmed string
	// Windows are the cancellation windows the lines' Cancellable Until
	// was judged by.
	Windows deadline.Rules
}

// Interrupted is Meta.Stopped of a run a signal stopped.
const Interrupted = "interrupted"

// Options says what to write where.
type Options struct {
	Path  string
	Force bool // replace an existing file
	Meta  Meta
	// Extra are the headers of the input's extra columns: the Lines sheet
	// shows them after its own.
	Extra []string
	// ExtraWidths are the widest value of each extra column, in characters:
	// the column is sized to fit it (up to a cap; longer text wraps).
	ExtraWidths []int
	// Outcomes yields the report's items in sheet order; Lines and Orders
	// say how many rows they give the Lines and Orders sheets (a sheet
	// declares its size before its first row).
	Outcomes      iter.Seq2[record.Item, error]
	Lines, Orders int
	// SealKey, when set, makes the seal an HMAC under it (report.seal_key_env).
	SealKey []byte
	// TmpDir holds excelize's temporary files (default: the OS's).
	TmpDir string
	// Now is the workbook's creation time (default time.Now).
	Now func() time.Time
}

// ErrExists is returned when the workbook exists and Force is not set.
var ErrExists = book.ErrExists

// Write writes the workbook. The file appears complete or not at all: it
// is written to a temporary file beside Path and renamed into place.
//
// Whatever Outcomes reads from stays live while the lines stream past it;
// the caller decides whether to trade time for a lower peak
// (debug.SetGCPercent).
func Write(opts Options) (*Counts, error) {
	if !opts.Force {
		if _, err := os.Stat(opts.Path); err == nil {
			return nil, fmt.Errorf("%s: %w", opts.Path, book.ErrExists)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := excelize.NewFile(excelize.Options{TmpDir: opts.TmpDir})
	defer f.Close()
	w, err := newWriter(f, opts)
	if err != nil {
		return nil, err
	}
	if err := w.write(opts.Outcomes); err != nil {
		return nil, err
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	if err := w.writeCustomers(); err != nil {
		return nil, err
	}
	if err := w.writeStatuses(filepath.Base(opts.Path)); err != nil {
		return nil, err
	}
	// How it ended depends on what the lines add up to: it is the last row
	// of the seal.
	w.counts.Result = result(opts.Meta, w.counts)
	if err := w.seal.add(SummarySheet, LabelResult, []string{w.counts.Result}); err != nil {
		return nil, err
	}
	if w.counts.Seal, err = w.seal.finish(); err != nil {
		return nil, err
	}
	if err := printTitles(f); err != nil {
		return nil, err
	}
	// Summary stays the active sheet: it is the first, and SetActiveSheet
	// would make excelize parse the streamed sheets back into memory.
	if err := writeSummary(f, w.Styles, opts.Meta, w.counts); err != nil {
		return nil, err
	}
	if err := docProps(w.Archive, opts.Meta, opts.Now()); err != nil {
		return nil, err
	}
	return w.counts, book.Save(f, w.Archive, opts.Path, opts.Force)
}

// printTitles repeats on each printed page the header row of every table
// sheet and, on the pages across, the column that says which row it is:
// Source Row on Lines, Order ID on Orders, Customer Tenant ID on Customers
// and Status on Statuses. The names are scoped by the sheet's position, so
// they are set once every sheet is in its place (excelize's MoveSheet does
// not renumber them).
func printTitles(f *excelize.File) error {
	return book.PrintTitles(f, func(name string) string {
		switch {
		case name == SummarySheet || isSealSheet(name):
			return ""
		case name == OrdersSheet:
			return "$B:$B"
		}
		return "$A:$A"
	})
}

// writer streams the Lines, Orders and Customers sheets.
type writer struct {
	*book.Book
	extra   []string
	lines   *book.Table // the current Lines sheet
	orders  *book.Table
	sheetNo int
	// plan: the amounts are what a run would cancel.
	plan bool
	// extraWidths are the widest value of each extra column, in characters.
	extraWidths []int
	// lineRows are the rows each Lines sheet gets, header included, known
	// before the first is written: a sheet declares its size up front.
	lineRows []int
	row      []any
	counts   *Counts
	cust     *totals.CustomerTotals
	seal     *sealer
	formats  map[string]int // the input's number formats, by code
}

func newWriter(f *excelize.File, opts Options) (*writer, error) {
	b, err := book.New(f, pageHeaderFooter(opts.Meta))
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	w := &writer{
		Book: b, extra: extraHeaders(opts.Extra),
		row:     make([]any, len(lineColumns)+len(opts.Extra)),
		counts:  totals.NewCounts(opts.Meta.RunID),
		cust:    totals.NewCustomerTotals(opts.Extra, opts.Meta.Mode == record.Plan),
		formats: map[string]int{},

		plan:        opts.Meta.Mode == record.Plan,
		extraWidths: opts.ExtraWidths,
	}
	for _, name := range []string{LinesSheet, OrdersSheet, CustomersSheet, StatusesSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
	}
	if w.seal, err = newSealer(f, w.Sheets, opts.SealKey, sealRows(opts.Lines, opts.Orders, opts.Meta)); err != nil {
		return nil, err
	}
	for _, sheet := range []string{LinesSheet, OrdersSheet} {
		if err := w.seal.columns(sheet, sealedSheets[sheet]); err != nil {
			return nil, err
		}
	}
	if err := w.seal.sealMeta(opts.Meta); err != nil {
		return nil, err
	}
	// Each Lines sheet holds up to MaxSheetRows rows, its header included.
	per := MaxSheetRows - 1
	for left := opts.Lines; ; left -= per {
		w.lineRows = append(w.lineRows, 1+min(max(left, 0), per))
		if left <= per {
			break
		}
	}
	if w.lines, err = w.startLines(LinesSheet); err != nil {
		return nil, err
	}
	if w.orders, err = w.Stream(OrdersSheet, record.OrderTable.Headers(), len(orderColumns), book.TableWidths(orderColumns), book.WrapColumns(orderColumns), 1+opts.Orders); err != nil {
		return nil, err
	}
	return w, nil
}

// extraWidth is the least width of an extra column.
const extraWidth = 12

// extraHeaders are the headers of the input's extra columns as the Lines
// sheet shows them: one named like a column of the tool's own (a Partner
// Center export's Currency) is renamed "Currency (input)", so that a
// reader looking a column up by name finds the tool's.
func extraHeaders(extra []string) []string {
	own := map[string]bool{}
	for _, h := range record.LineTable.Headers() {
		own[record.FoldHeader(h)] = true
	}
	out := make([]string, len(extra))
	for i, h := range extra {
		out[i] = h
		if own[record.FoldHeader(h)] {
			out[i] = h + " (input)"
		}
	}
	return out
}

func (w *writer) startLines(name string) (*book.Table, error) {
	header := append(record.LineTable.Headers(), w.extra...)
	widths := book.TableWidths(lineColumns)
	wrap := book.WrapColumns(lineColumns)
	for i, h := range w.extra {
		width := 0
		if i < len(w.extraWidths) {
			width = w.extraWidths[i]
		}
		// Sized to its values, up to the cap; longer values wrap.
		widths = append(widths, book.FitWidth(h, float64(max(width+2, extraWidth))))
		if width+2 > book.MaxWidth {
			wrap = append(wrap, len(lineColumns)+i)
		}
	}
	return w.Stream(name, header, len(lineColumns), widths, wrap, w.lineRows[w.sheetNo])
}

// nextLinesSheet finishes the current Lines sheet and starts "Lines N".
func (w *writer) nextLinesSheet() error {
	w.Sheets.Lock()
	defer w.Sheets.Unlock()
	prev := w.lines
	w.sheetNo++
	name := w.currentLinesName()
	if _, err := w.F.NewSheet(name); err != nil {
		return err
	}
	// Keep the Lines sheets together, before Orders. MoveSheet touches every
	// worksheet: it must run while they are all still streaming, since
	// excelize would parse a flushed one back into memory — a million rows.
	if err := w.F.MoveSheet(name, OrdersSheet); err != nil {
		return err
	}
	if err := w.FinishSheet(prev); err != nil {
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

func (w *writer) flush() error {
	if err := w.FinishSheet(w.lines); err != nil {
		return err
	}
	return w.FinishSheet(w.orders)
}

// writeCustomers writes the Customers sheet from what the lines and orders
// added up to.
func (w *writer) writeCustomers() error {
	rows := w.cust.Rows()
	w.counts.Customers = rows
	t, err := w.Stream(CustomersSheet, record.CustomerTable.Headers(), len(customerColumns), book.TableWidths(customerColumns), book.WrapColumns(customerColumns), 1+len(rows))
	if err != nil {
		return err
	}
	for _, c := range rows {
		row := make([]any, len(customerColumns))
		for k, col := range customerColumns {
			row[k] = w.Cell(col.Format, col.Get(c))
		}
		if w.plan {
			w.wouldStyle(row, customerAmount)
		}
		if err := t.Add(row, w.Styles.Wrap); err != nil {
			return err
		}
	}
	return w.FinishSheet(t)
}

// write streams the outcomes into the Lines and Orders sheets. Three
// goroutines share the work: one reads the outcomes (decoding the journal),
// one writes Lines, one writes Orders — excelize writes one sheet on one
// core, and a million lines are ~25 million cells.
func (w *writer) write(outcomes iter.Seq2[record.Item, error]) error {
	g, ctx := errgroup.WithContext(context.Background())
	items := make(chan record.Item, 512)
	seals := make(chan record.Item, 512)
	orders := make(chan *record.OrderResult, 512)
	g.Go(func() error {
		defer close(items)
		defer close(seals)
		for it, err := range outcomes {
			if err != nil {
				return err
			}
			for _, ch := range []chan record.Item{items, seals} {
				select {
				case ch <- it:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		return nil
	})
	// The Seal sheet, in item order: it is written on the core the Lines
	// sheet leaves free.
	g.Go(func() error {
		var buf []string
		for it := range seals {
			for i := range it.Result.Lines {
				buf = lineValues(buf, &it.Result.Lines[i])
				if err := w.seal.add(LinesSheet, lineKey(buf), buf); err != nil {
					return err
				}
			}
			if it.Order {
				buf = orderValues(buf, it.Result)
				if err := w.seal.add(OrdersSheet, orderKey(buf), buf); err != nil {
					return err
				}
			}
		}
		return nil
	})
	g.Go(func() error {
		defer close(orders)
		for it := range items {
			if err := w.addLines(it.Result); err != nil {
				return err
			}
			if !it.Order {
				continue
			}
			select {
			case orders <- it.Result:
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
func (w *writer) addLines(res *record.OrderResult) error {
	for i := range res.Lines {
		l := &res.Lines[i]
		if w.lines.Rows >= MaxSheetRows {
			if err := w.nextLinesSheet(); err != nil {
				return err
			}
		}
		w.counts.AddLine(l)
		w.cust.AddLine(l)
		if err := w.lines.Add(w.lineRow(l), w.Styles.Wrap); err != nil {
			return err
		}
	}
	return nil
}

// addOrder writes a row of the Orders sheet (the Orders goroutine).
func (w *writer) addOrder(res *record.OrderResult) error {
	c := w.counts
	c.TotalOrders++
	c.Orders[res.Outcome]++
	w.cust.AddOrder(res)
	row := make([]any, len(orderColumns))
	for i, col := range orderColumns {
		row[i] = w.Cell(col.Format, col.Get(res))
	}
	if w.plan {
		w.wouldStyle(row, orderAmount)
	}
	return w.orders.Add(row, w.Styles.Wrap)
}

// Where the tables' Amount Cancelled columns are.
var (
	lineAmount     = amountColumn(lineColumns)
	orderAmount    = amountColumn(orderColumns)
	customerAmount = amountColumn(customerColumns)
)

func amountColumn[T any](t record.Table[T]) int {
	for i, c := range t {
		if c.Header == "Amount Cancelled" {
			return i
		}
	}
	panic("report: a table without Amount Cancelled")
}

// wouldStyle shows the amount in row[i] as what a plan would cancel.
func (w *writer) wouldStyle(row []any, i int) {
	if c, ok := row[i].(excelize.Cell); ok {
		c.StyleID = w.Styles.WouldMoney
		row[i] = c
	}
}

func (w *writer) lineRow(l *record.LineResult) []any {
	r := w.row
	clear(r)
	for i, col := range lineColumns {
		r[i] = w.Cell(col.Format, col.Get(l))
	}
	if l.Status == record.WouldCancel {
		w.wouldStyle(r, lineAmount)
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
		if c.Format != "" {
			return excelize.Cell{StyleID: w.format(c.Format), Value: c.Num}
		}
		return c.Num
	case sheet.Bool:
		return c.Text == "TRUE"
	case sheet.Date:
		style := w.Styles.Date
		switch {
		case c.Format != "":
			style = w.format(c.Format)
		case c.Time != c.Time.Truncate(24*time.Hour):
			style = w.Styles.DateTime
		}
		return excelize.Cell{StyleID: style, Value: book.ExcelSerial(c.Time)}
	}
	return c.Text
}

// format returns the style of a number format the input's cells carry,
// made once per format (the Lines goroutine alone calls it).
func (w *writer) format(code string) int {
	if id, ok := w.formats[code]; ok {
		return id
	}
	id, err := w.F.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		id = 0 // a format excelize refuses shows as General
	}
	w.formats[code] = id
	return id
}

// docProps names the report's creator, title and creation time, as a file
// manager and Excel's File > Info show them.
func docProps(a *book.Archive, m Meta, now time.Time) error {
	kind := "Cancellation run"
	if m.Mode == record.Plan {
		kind = "Cancellation plan"
	}
	return a.Props(book.DocInfo{Title: "pcreconcile: " + kind, Subject: "Partner Center cancellations, reconciled line by line",
		Version: m.Version, Description: "Run " + m.RunID + " of " + m.Input.Name, Identifier: m.RunID, Keywords: "pcreconcile; " + m.Mode.String()}, now)
}

// Counts are the totals of a written report; Cancelled is what was
// cancelled in one currency (package totals adds them up).
type (
	Counts    = totals.Counts
	Cancelled = totals.Cancelled
)
