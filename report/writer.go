// Package report writes the reconciliation workbook — Summary, Lines,
// Orders and Customers sheets — and reads it back for `run --resume`.
//
// The sheet and column names are a contract: other programs read these
// workbooks, and so does the resume path of this one. The columns are the
// tables of package batch (LineTable, OrderTable, CustomerTable). The
// workbook is streamed (excelize StreamWriter, nothing buffered per row)
// to a temporary file that is renamed into place only when complete.
package report

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/internal/atomicfile"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
)

// Sheet names.
const (
	SummarySheet   = "Summary"
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

// ErrExists is returned when the report exists and Force is not set.
var ErrExists = errors.New("report exists")

// Write writes the workbook. The file appears complete or not at all: it
// is written to a temporary file beside Path and renamed into place.
//
// Whatever Outcomes reads from stays live while the lines stream past it;
// the caller decides whether to trade time for a lower peak
// (debug.SetGCPercent).
func Write(opts Options) (*Counts, error) {
	if !opts.Force {
		if _, err := os.Stat(opts.Path); err == nil {
			return nil, fmt.Errorf("%s: %w", opts.Path, ErrExists)
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
	if err := writeSummary(f, w.styles, opts.Meta, w.counts); err != nil {
		return nil, err
	}
	if err := w.archive.docProps(opts.Meta, opts.Now()); err != nil {
		return nil, err
	}
	return w.counts, save(f, w.archive, opts.Path, opts.Force)
}

// printTitles repeats on each printed page the header row of every table
// sheet and, on the pages across, the column that says which row it is:
// Source Row on Lines, Order ID on Orders, Customer Tenant ID on Customers
// and Status on Statuses. The names are scoped by the sheet's position, so
// they are set once every sheet is in its place (excelize's MoveSheet does
// not renumber them).
func printTitles(f *excelize.File) error {
	for _, name := range f.GetSheetList() {
		if name == SummarySheet || isSealSheet(name) {
			continue
		}
		cols := "$A:$A"
		if name == OrdersSheet {
			cols = "$B:$B"
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%[1]s'!%[2]s,'%[1]s'!$1:$1", name, cols), Scope: name}); err != nil {
			return err
		}
	}
	return nil
}

// save writes f to path through a synced temporary file — refusing to
// replace an existing file unless force.
func save(f *excelize.File, a *archive, path string, force bool) error {
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
			return a.wrap(z)
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
	header, date, dateTime, wrap, money, bold, title, left, sandbox, dateTimeLeft int
	plan, signature, note, total, totalMoney, moneyLeft, wouldMoney               int
	status                                                                        map[record.Family]int
}

// familyColours colour a status by its family: Excel's own Good (done),
// Neutral (to retry) and Bad (needs a person) cell styles, a light blue for
// what a plan would do, grey for rows that asked for nothing.
var familyColours = map[record.Family]struct{ font, fill string }{
	record.FamilyDone:    {"006100", "C6EFCE"},
	record.FamilyWould:   {"1F4E79", "DDEBF7"},
	record.FamilyRetry:   {"9C5700", "FFEB9C"},
	record.FamilyPerson:  {"9C0006", "FFC7CE"},
	record.FamilyIgnored: {"595959", "EDEDED"},
}

// moneyFormat shows two decimals always, up to four when a unit price has
// them.
const moneyFormat = "#,##0.00##"

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{status: map[record.Family]int{}}
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
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	dateFmt, dateTimeFmt, moneyFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", moneyFormat
	s.date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	s.dateTime = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt})
	s.money = mk(&excelize.Style{CustomNumFmt: &moneyFmt})
	s.moneyLeft = mk(&excelize.Style{CustomNumFmt: &moneyFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	// What a plan would cancel is money in the would-do colour.
	would := familyColours[record.FamilyWould]
	s.wouldMoney = mk(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Color: would.font}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{would.fill}}})
	for fam, c := range familyColours {
		s.status[fam] = mk(&excelize.Style{Font: &excelize.Font{Color: c.font}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}}})
	}
	s.bold = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}})
	s.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	s.plan = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Color: "1F4E79"}})
	// Wrapped text sits at the bottom of its cell, as every other cell's
	// value does: a row's values read along one line.
	s.wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true}})
	s.left = mk(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	s.dateTimeLeft = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	// The SANDBOX banner is red: nothing real happened.
	s.sandbox = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	s.note = mk(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.signature = mk(&excelize.Style{Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	top := []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
	s.total = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: top})
	s.totalMoney = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: top, CustomNumFmt: &moneyFmt})
	return s, err
}

// writer streams the Lines, Orders and Customers sheets.
type writer struct {
	*book
	extra   []string
	lines   *table // the current Lines sheet
	orders  *table
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
	cust     *customers
	seal     *sealer
	formats  map[string]int // the input's number formats, by code
}

// book is a workbook being written: its file, styles, the parts written in
// excelize's place, and the page header and footer of its tables. The
// reconciliation report and the candidates workbook are books.
type book struct {
	f       *excelize.File
	styles  *styles
	archive *archive
	// headerFooter heads and numbers every printed page of the tables.
	headerFooter *excelize.HeaderFooterOptions
	// sheets guards the File's sheet structure (its sheet map, workbook
	// and stream writers) while several sheets stream at once: excelize
	// is not safe for concurrent use, and the Lines and Seal goroutines
	// each start a new sheet when one fills up. Writing rows to a stream
	// writer touches only that writer and needs no lock.
	sheets *sync.Mutex
}

// newBook starts a workbook in f.
func newBook(f *excelize.File, hf *excelize.HeaderFooterOptions) (*book, error) {
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	return &book{f: f, styles: st, archive: newArchive(f), headerFooter: hf, sheets: new(sync.Mutex)}, nil
}

func newWriter(f *excelize.File, opts Options) (*writer, error) {
	b, err := newBook(f, pageHeaderFooter(opts.Meta))
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	w := &writer{
		book: b, extra: extraHeaders(opts.Extra),
		row:     make([]any, len(lineColumns)+len(opts.Extra)),
		counts:  newCounts(opts.Meta.RunID),
		cust:    newCustomers(opts.Extra, opts.Meta.Mode == record.Plan),
		formats: map[string]int{},

		plan:        opts.Meta.Mode == record.Plan,
		extraWidths: opts.ExtraWidths,
	}
	for _, name := range []string{LinesSheet, OrdersSheet, CustomersSheet, StatusesSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
	}
	if w.seal, err = newSealer(f, w.sheets, opts.SealKey, sealRows(opts.Lines, opts.Orders, opts.Meta)); err != nil {
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
	if w.orders, err = w.stream(OrdersSheet, record.OrderTable.Headers(), len(orderColumns), tableWidths(orderColumns), wrapColumns(orderColumns), 1+opts.Orders); err != nil {
		return nil, err
	}
	return w, nil
}

// Column widths are in characters. Every column is at least as wide as
// its header, up to maxWidth; a longer header wraps.
const (
	maxWidth   = 60
	extraWidth = 12 // the least width of an extra column
)

// tableWidths returns the widths of a sheet's own columns.
func tableWidths[T any](t record.Table[T]) []float64 {
	out := make([]float64, len(t))
	for i, c := range t {
		out[i] = fitWidth(c.Header, c.Width)
	}
	return out
}

// fitWidth is width, widened to fit header, capped at maxWidth.
func fitWidth(header string, width float64) float64 {
	return min(max(width, float64(utf8.RuneCountInString(header)+2)), maxWidth)
}

// wrapColumns returns the columns (from 0) whose long text wraps.
func wrapColumns[T any](t record.Table[T]) []int {
	var out []int
	for i, c := range t {
		if c.Format == record.FormatText && c.Width >= 30 {
			out = append(out, i)
		}
	}
	return out
}

// table is a streamed sheet of rows under a header, as it is laid out.
type table struct {
	sw     *excelize.StreamWriter
	name   string
	widths []float64
	wrap   []int // the columns (from 0) whose long text wraps
	rows   int   // the rows written, the header included
}

// Row heights, in points: Excel's default for its default font, and its
// limit.
const (
	rowHeight    = 15
	maxRowHeight = 409
	// boldWidth is how much wider bold text is than regular text, at most.
	boldWidth = 1.2
)

// add writes the next row of t. Text in a wrapping column wraps, and the
// row is made as tall as its longest wrapped text, so that no row is drawn
// over the next, on screen or on paper.
func (t *table) add(row []any, wrapStyle int) error {
	lines := 1
	for _, i := range t.wrap {
		if i >= len(row) {
			continue
		}
		if s, ok := row[i].(string); ok {
			row[i] = excelize.Cell{StyleID: wrapStyle, Value: s}
			lines = max(lines, textLines(s, t.widths[i]))
		}
	}
	t.rows++
	if lines > 1 {
		return t.sw.SetRow(cellName(t.rows), row, excelize.RowOpts{Height: min(float64(lines*rowHeight), maxRowHeight)})
	}
	return t.sw.SetRow(cellName(t.rows), row)
}

// textLines is how many lines text takes, wrapped in a column width
// characters wide (a character of the default font being about one unit
// of width, the last one kept for the cell's margin).
func textLines(text string, width float64) int {
	per := max(int(width)-1, 1)
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n += max(1, (utf8.RuneCountInString(line)+per-1)/per)
	}
	return n
}

// The table sheets print landscape at 73 %, so that the default 11 pt font
// prints at 8 pt, on as many pages across as the columns need. The pages
// across split the columns where their subject changes — the line (ids and
// offer), what it is worth (product, quantities, money, status), how it
// went (order statuses, dates, error), the audit trail (attempts, request
// and correlation ids, times, run), then the input's own columns — and each
// repeats the header row and the column that says which row it is. Every
// page is headed with what the workbook is and numbered.
const printScale = 73

// pageStarts are the columns that start a printed page across.
var pageStarts = map[string]bool{"Product": true, "Order Status Before": true, "Attempts": true}

// stream starts a table sheet: its size (rows × header) declared up front,
// as readers such as openpyxl's read-only mode and Power Query trust it;
// widths; the header frozen (and, when the sheet is finished, filtered);
// the print setup.
//
// own is how many of the columns are the tool's: a page starts where the
// input's begin.
func (w *book) stream(name string, header []string, own int, widths []float64, wrap []int, rows int) (*table, error) {
	f := w.f
	last, err := excelize.CoordinatesToCellName(len(header), max(rows, 1))
	if err != nil {
		return nil, err
	}
	// The dimension is written when the stream starts; the page setup,
	// headers and filter when it is flushed.
	if err := f.SetSheetDimension(name, "A1:"+last); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	landscape, scale, across := "landscape", uint(printScale), "overThenDown"
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Orientation: &landscape, AdjustTo: &scale, PageOrder: &across}); err != nil {
		return nil, err
	}
	// Narrow margins leave room for the columns; the header and footer
	// keep theirs.
	side, edge, hf := 0.25, 0.55, 0.2
	if err := f.SetPageMargins(name, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &hf, Footer: &hf}); err != nil {
		return nil, err
	}
	if err := f.SetHeaderFooter(name, w.headerFooter); err != nil {
		return nil, err
	}
	// The columns go to the archive as they are written, in order (the
	// stream writer's own would come out reversed).
	cols := make([]columnSpec, len(widths))
	for i, wd := range widths {
		cols[i].width = wd
	}
	for _, col := range wrap {
		cols[col].style = w.styles.wrap
	}
	w.archive.cols[name] = colsXML(cols)
	for i, h := range header {
		if i > 0 && (pageStarts[h] && i < own || i == own) {
			if err := sw.InsertPageBreak(cellName(1, i+1)); err != nil {
				return nil, err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	t := &table{sw: sw, name: name, widths: widths, wrap: wrap, rows: 1}
	// A bold header is wider than the widths reckon with: it may take a
	// second line.
	lines := 1
	for i, h := range header {
		lines = max(lines, textLines(h, widths[i]/boldWidth))
	}
	if err := sw.SetRow("A1", headerRow(header, w.styles.header), excelize.RowOpts{Height: float64(lines * rowHeight)}); err != nil {
		return nil, err
	}
	return t, nil
}

func headerRow(cols []string, style int) []any {
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = excelize.Cell{StyleID: style, Value: c}
	}
	return row
}

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

func (w *writer) startLines(name string) (*table, error) {
	header := append(record.LineTable.Headers(), w.extra...)
	widths := tableWidths(lineColumns)
	wrap := wrapColumns(lineColumns)
	for i, h := range w.extra {
		width := 0
		if i < len(w.extraWidths) {
			width = w.extraWidths[i]
		}
		// Sized to its values, up to the cap; longer values wrap.
		widths = append(widths, fitWidth(h, float64(max(width+2, extraWidth))))
		if width+2 > maxWidth {
			wrap = append(wrap, len(lineColumns)+i)
		}
	}
	return w.stream(name, header, len(lineColumns), widths, wrap, w.lineRows[w.sheetNo])
}

// nextLinesSheet finishes the current Lines sheet and starts "Lines N".
func (w *writer) nextLinesSheet() error {
	w.sheets.Lock()
	defer w.sheets.Unlock()
	prev := w.lines
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
	if err := w.finishSheet(prev); err != nil {
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
func (w *book) finishSheet(t *table) error {
	last, err := excelize.CoordinatesToCellName(len(t.widths), max(t.rows, 2))
	if err != nil {
		return err
	}
	// Set on the stream writer's worksheet before Flush, which writes it.
	if err := w.f.AutoFilter(t.name, "A1:"+last, nil); err != nil {
		return err
	}
	return t.sw.Flush()
}

func (w *writer) flush() error {
	if err := w.finishSheet(w.lines); err != nil {
		return err
	}
	return w.finishSheet(w.orders)
}

// writeCustomers writes the Customers sheet from what the lines and orders
// added up to.
func (w *writer) writeCustomers() error {
	rows := w.cust.rows()
	w.counts.Customers = rows
	t, err := w.stream(CustomersSheet, record.CustomerTable.Headers(), len(customerColumns), tableWidths(customerColumns), wrapColumns(customerColumns), 1+len(rows))
	if err != nil {
		return err
	}
	for _, c := range rows {
		row := make([]any, len(customerColumns))
		for k, col := range customerColumns {
			row[k] = w.cell(col.Format, col.Get(c))
		}
		if w.plan {
			w.wouldStyle(row, customerAmount)
		}
		if err := t.add(row, w.styles.wrap); err != nil {
			return err
		}
	}
	return w.finishSheet(t)
}

// excelSerial converts a time to Excel's serial date (days since 1899-12-30)
// in UTC; passing numbers spares excelize a time conversion per cell.
func excelSerial(t time.Time) float64 {
	return float64(t.UTC().UnixNano())/float64(24*time.Hour) + 25569
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
		if w.lines.rows >= MaxSheetRows {
			if err := w.nextLinesSheet(); err != nil {
				return err
			}
		}
		w.counts.addLine(l)
		w.cust.addLine(l)
		if err := w.lines.add(w.lineRow(l), w.styles.wrap); err != nil {
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
	w.cust.addOrder(res)
	row := make([]any, len(orderColumns))
	for i, col := range orderColumns {
		row[i] = w.cell(col.Format, col.Get(res))
	}
	if w.plan {
		w.wouldStyle(row, orderAmount)
	}
	return w.orders.add(row, w.styles.wrap)
}

// cell is a value of a column as the stream writer takes it: dates and
// times as serial numbers with their formats, amounts as numbers with the
// money format, statuses coloured by family. Text stays text: a value
// such as =HYPERLINK(…) is a string cell, never a formula.
func (w *book) cell(f record.Format, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		style := w.styles.date
		if f == record.FormatTime {
			style = w.styles.dateTime
		}
		return excelize.Cell{StyleID: style, Value: excelSerial(wholeSecond(v))}
	case decimal.Decimal:
		// Excel holds a double; the decimal's exact digits are what the
		// journal keeps and what every total is summed from.
		return excelize.Cell{StyleID: w.styles.money, Value: v.InexactFloat64()}
	}
	if f == record.FormatStatus {
		s := record.Text(v)
		return excelize.Cell{StyleID: w.styles.status[record.Status(s).Family()], Value: s}
	}
	return v
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
		c.StyleID = w.styles.wouldMoney
		row[i] = c
	}
}

// cellName names the cell at row (of column A, or of the given column).
func cellName(row int, col ...int) string {
	c := 1
	if len(col) > 0 {
		c = col[0]
	}
	name, _ := excelize.CoordinatesToCellName(c, row)
	return name
}

func (w *writer) lineRow(l *record.LineResult) []any {
	r := w.row
	clear(r)
	for i, col := range lineColumns {
		r[i] = w.cell(col.Format, col.Get(l))
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
		style := w.styles.date
		switch {
		case c.Format != "":
			style = w.format(c.Format)
		case c.Time != c.Time.Truncate(24*time.Hour):
			style = w.styles.dateTime
		}
		return excelize.Cell{StyleID: style, Value: excelSerial(c.Time)}
	}
	return c.Text
}

// format returns the style of a number format the input's cells carry,
// made once per format (the Lines goroutine alone calls it).
func (w *writer) format(code string) int {
	if id, ok := w.formats[code]; ok {
		return id
	}
	id, err := w.f.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		id = 0 // a format excelize refuses shows as General
	}
	w.formats[code] = id
	return id
}
