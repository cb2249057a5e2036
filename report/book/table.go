package book

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// TableWidths returns the widths of a sheet's own columns.
func TableWidths[T any](t record.Table[T]) []float64 {
	out := make([]float64, len(t))
	for i, c := range t {
		out[i] = FitWidth(c.Header, c.Width)
	}
	return out
}

// FitWidth is width, widened to fit header, capped at MaxWidth.
func FitWidth(header string, width float64) float64 {
	return min(max(width, float64(utf8.RuneCountInString(header)+2)), MaxWidth)
}

// WrapColumns returns the columns (from 0) whose long text wraps.
func WrapColumns[T any](t record.Table[T]) []int {
	var out []int
	for i, c := range t {
		if c.Format == record.FormatText && c.Width >= 30 {
			out = append(out, i)
		}
	}
	return out
}

// Table is a streamed sheet of rows under a header, as it is laid out.
type Table struct {
	sw     *excelize.StreamWriter
	Name   string
	widths []float64
	wrap   []int // the columns (from 0) whose long text wraps
	Rows   int   // the rows written, the header included
}

// Row heights, in points: Excel's default for its default font, and its
// limit.
const (
	RowHeight    = 15
	MaxRowHeight = 409
	// boldWidth is how much wider bold text is than regular text, at most.
	boldWidth = 1.2
)

// Add writes the next row of t. Text in a wrapping column wraps, and the
// row is made as tall as its longest wrapped text, so that no row is drawn
// over the next, on screen or on paper.
func (t *Table) Add(row []any, wrapStyle int) error {
	lines := 1
	for _, i := range t.wrap {
		if i >= len(row) {
			continue
		}
		if s, ok := row[i].(string); ok {
			row[i] = excelize.Cell{StyleID: wrapStyle, Value: s}
			lines = max(lines, TextLines(s, t.widths[i]))
		}
	}
	t.Rows++
	if lines > 1 {
		return t.sw.SetRow(CellName(t.Rows), row, excelize.RowOpts{Height: min(float64(lines*RowHeight), MaxRowHeight)})
	}
	return t.sw.SetRow(CellName(t.Rows), row)
}

// TextLines is how many lines text takes, wrapped in a column width
// characters wide (a character of the default font being about one unit
// of width, the last one kept for the cell's margin).
func TextLines(text string, width float64) int {
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

// Stream starts a table sheet: its size (rows × header) declared up front,
// as readers such as openpyxl's read-only mode and Power Query trust it;
// widths; the header frozen (and, when the sheet is finished, filtered);
// the print setup.
//
// own is how many of the columns are the tool's: a page starts where the
// input's begin.
func (w *Book) Stream(name string, header []string, own int, widths []float64, wrap []int, rows int) (*Table, error) {
	f := w.F
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
	if err := f.SetHeaderFooter(name, w.HeaderFooter); err != nil {
		return nil, err
	}
	// The columns go to the archive as they are written, in order (the
	// stream writer's own would come out reversed).
	cols := make([]columnSpec, len(widths))
	for i, wd := range widths {
		cols[i].width = wd
	}
	for _, col := range wrap {
		cols[col].style = w.Styles.Wrap
	}
	w.Archive.Cols[name] = colsXML(cols)
	for i, h := range header {
		if i > 0 && (pageStarts[h] && i < own || i == own) {
			if err := sw.InsertPageBreak(CellName(1, i+1)); err != nil {
				return nil, err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	t := &Table{sw: sw, Name: name, widths: widths, wrap: wrap, Rows: 1}
	// A bold header is wider than the widths reckon with: it may take a
	// second line.
	lines := 1
	for i, h := range header {
		lines = max(lines, TextLines(h, widths[i]/boldWidth))
	}
	if err := sw.SetRow("A1", HeaderRow(header, w.Styles.Header), excelize.RowOpts{Height: float64(lines * RowHeight)}); err != nil {
		return nil, err
	}
	return t, nil
}

// HeaderRow is a header row of cols in style.
func HeaderRow(cols []string, style int) []any {
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = excelize.Cell{StyleID: style, Value: c}
	}
	return row
}

// FinishSheet adds the filter over the written range and flushes the sheet.
func (w *Book) FinishSheet(t *Table) error {
	last, err := excelize.CoordinatesToCellName(len(t.widths), max(t.Rows, 2))
	if err != nil {
		return err
	}
	// Set on the stream writer's worksheet before Flush, which writes it.
	if err := w.F.AutoFilter(t.Name, "A1:"+last, nil); err != nil {
		return err
	}
	return t.sw.Flush()
}

// ExcelSerial converts a time to Excel's serial date (days since 1899-12-30)
// in UTC; passing numbers spares excelize a time conversion per cell.
func ExcelSerial(t time.Time) float64 {
	return float64(t.UTC().UnixNano())/float64(24*time.Hour) + 25569
}

// Cell is a value of a column as the stream writer takes it: dates and
// times as serial numbers with their formats, amounts as numbers with the
// money format, statuses coloured by family. Text stays text: a value
// such as =HYPERLINK(…) is a string Cell, never a formula.
func (w *Book) Cell(f record.Format, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		style := w.Styles.Date
		if f == record.FormatTime {
			style = w.Styles.DateTime
		}
		return excelize.Cell{StyleID: style, Value: ExcelSerial(WholeSecond(v))}
	case decimal.Decimal:
		// Excel holds a double; the decimal's exact digits are what the
		// journal keeps and what every total is summed from.
		return excelize.Cell{StyleID: w.Styles.Money, Value: v.InexactFloat64()}
	}
	if f == record.FormatStatus {
		s := record.Text(v)
		return excelize.Cell{StyleID: w.Styles.Status[record.Status(s).Family()], Value: s}
	}
	return v
}

// CellName names the cell at row (of column A, or of the given column).
func CellName(row int, col ...int) string {
	c := 1
	if len(col) > 0 {
		c = col[0]
	}
	name, _ := excelize.CoordinatesToCellName(c, row)
	return name
}

// WholeSecond is t as the workbook holds it: on a whole second. The serial
// number a cell keeps carries float noise of a microsecond or so; on a
// whole second, that noise rounds back to the same second however the file
// is read or saved again — a time half a second off would round either way.
func WholeSecond(t time.Time) time.Time { return t.Round(time.Second) }

// WriteTable streams rows of table t into sheet name.
func WriteTable[T any](b *Book, name string, t record.Table[T], rows []T, dress func([]any)) error {
	tb, err := b.Stream(name, t.Headers(), len(t), TableWidths(t), WrapColumns(t), 1+len(rows))
	if err != nil {
		return err
	}
	for i := range rows {
		row := make([]any, len(t))
		for k, col := range t {
			row[k] = b.Cell(col.Format, col.Get(&rows[i]))
		}
		if dress != nil {
			dress(row)
		}
		if err := tb.Add(row, b.Styles.Wrap); err != nil {
			return err
		}
	}
	return b.FinishSheet(tb)
}

// NonEmpty is s, or nil (an empty cell) when it is "".
func NonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PrintTitles repeats on each printed page of every sheet the header row
// and, on the pages across, the columns cols names for it ("$A:$A"; ""
// for none: the sheet gets no print titles). The names are scoped by the
// sheet's position, so they are set once every sheet is in its place
// (excelize's MoveSheet does not renumber them).
func PrintTitles(f *excelize.File, cols func(sheet string) string) error {
	for _, name := range f.GetSheetList() {
		c := cols(name)
		if c == "" {
			continue
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%[1]s'!%[2]s,'%[1]s'!$1:$1", name, c), Scope: name}); err != nil {
			return err
		}
	}
	return nil
}

// TableTitles are the print titles of a workbook of tables under a
// Summary: the first column of every sheet but the Summary.
func TableTitles(sheet string) string {
	if sheet == SummarySheet {
		return ""
	}
	return "$A:$A"
}
