package book

import (
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// SummarySheet is the first sheet of every workbook: what it is, in words
// and figures.
const SummarySheet = "Summary"

// HeaderFooter heads each printed page with title (left), the SANDBOX
// marking (centre) and right, and foots it with the sheet, source and the
// page number.
func HeaderFooter(title string, sandbox bool, right, source string) *excelize.HeaderFooterOptions {
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	header := "&L&B" + esc(title) + "&B"
	if sandbox {
		header += "&C&BSANDBOX: no real orders were changed&B"
	}
	header += "&R" + esc(right)
	footer := "&L&A — " + esc(source) + "&RPage &P of &N"
	return &excelize.HeaderFooterOptions{OddHeader: record.Clip(header, 255), OddFooter: record.Clip(footer, 255)}
}

// SummaryCols is how wide the Summary is: labels in A, values across B:G.
const SummaryCols = 7

// Summary lays out the Summary sheet top to bottom.
type Summary struct {
	F    *excelize.File
	St   *Styles
	Row  int
	Cols int // the widest row, for the sheet's dimension
	Err  error
}

func (s *Summary) Set(col, row int, v any, style int) {
	if s.Err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, row)
	if err == nil {
		err = s.F.SetCellValue(SummarySheet, cell, v)
	}
	if err == nil && style != 0 {
		err = s.F.SetCellStyle(SummarySheet, cell, cell, style)
	}
	s.Err = err
	s.Cols = max(s.Cols, col)
}

// Heading starts the Summary: its title in style and, when banner is not
// "", the red banner under it saying what is not real (the sandbox); what
// follows starts after a blank row.
func (s *Summary) Heading(title string, style int, banner string) {
	s.Row = 1
	s.Set(1, s.Row, title, style)
	if banner != "" {
		s.Row++
		s.Span(1, SummaryCols, s.Row, banner, s.St.Sandbox)
	}
	s.Row++
}

// Span writes v across columns from..to of row, merged.
func (s *Summary) Span(from, to, row int, v any, style int) {
	s.Set(from, row, v, style)
	if s.Err != nil || to <= from {
		return
	}
	s.Cols = max(s.Cols, to)
	a, _ := excelize.CoordinatesToCellName(from, row)
	b, _ := excelize.CoordinatesToCellName(to, row)
	if s.Err = s.F.MergeCell(SummarySheet, a, b); s.Err == nil {
		s.Err = s.F.SetCellStyle(SummarySheet, a, b, style)
	}
}

// Field writes a label and its value, the value across B:G.
func (s *Summary) Field(label string, v any, style int) {
	s.Row++
	s.Set(1, s.Row, label, s.St.Bold)
	s.Span(2, SummaryCols, s.Row, v, style)
	// A long value wraps across B:G; its row is made tall enough for it.
	if text, ok := v.(string); ok && s.Err == nil {
		if n := TextLines(text, (SummaryCols-1)*summaryWidth); n > 1 {
			s.Err = s.F.SetRowHeight(SummarySheet, s.Row, float64(min(n*RowHeight, MaxRowHeight)))
		}
	}
}

// The Summary's columns: labels in A, as wide as the longest (bold); values
// across B:G.
const (
	labelWidth   = 46
	summaryWidth = 16
)

// Header writes a table's header row.
func (s *Summary) Header(cols ...string) {
	s.Row++
	for i, c := range cols {
		s.Set(i+1, s.Row, c, s.St.Header)
	}
}

// Finish sizes the Summary sheet and sets it up for print: one page wide,
// as many pages tall as it needs at a legible size — it is what an auditor
// files — under the workbook's page header and footer.
func (s *Summary) Finish(hf *excelize.HeaderFooterOptions) error {
	if s.Err != nil {
		return s.Err
	}
	if err := s.F.SetColWidth(SummarySheet, "A", "A", labelWidth); err != nil {
		return err
	}
	if err := s.F.SetColWidth(SummarySheet, "B", "G", summaryWidth); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(s.Cols, s.Row)
	if err != nil {
		return err
	}
	if err := s.F.SetSheetDimension(SummarySheet, "A1:"+last); err != nil {
		return err
	}
	one, tall, portrait, fit := 1, 0, "portrait", true
	if err := s.F.SetPageLayout(SummarySheet, &excelize.PageLayoutOptions{Orientation: &portrait, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	if err := s.F.SetHeaderFooter(SummarySheet, hf); err != nil {
		return err
	}
	return s.F.SetSheetProps(SummarySheet, &excelize.SheetPropsOptions{FitToPage: &fit})
}
