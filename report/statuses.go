package report

import (
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report/book"
)

// StatusesSheet explains every status word of the Lines sheets: what it
// means and what to do next. The workbook carries its own legend, so that
// whoever it is passed to can read it without this tool.
const StatusesSheet = "Statuses"

// statusHelp is what each status means and what to do about it. REPORT in
// the advice is replaced by the report's file name.
var statusHelp = map[record.Status][2]string{
	record.Cancelled: {"Partner Center cancelled the line: its quantity is now 0. Amount Cancelled is what the cancellation credits.",
		"Nothing. Once Partner Center's reconciliation file is out, pcreconcile credits REPORT RECON.csv checks that the money came back."},
	record.AlreadyCancelled: {"The line was at quantity 0 (or its order cancelled) before this run: nothing was sent.",
		"Nothing."},
	record.WouldCancel: {"A plan: a run would send this line to be cancelled. Nothing was sent.",
		"Review the plan, sign it off, then execute it: pcreconcile run --resume REPORT"},
	record.NotCancelled: {"Partner Center accepted the cancellation, but the line is still active.",
		"Resume: the order is read again first; a line by then at 0 counts as cancelled, one still active is sent again. pcreconcile run --resume REPORT"},
	record.OutsideWindow: {"Past the cancellation window of its kind: Partner Center refused it (error 900117), or a plan predicted it from the purchase date.",
		"The tool cannot cancel it. Raise it with Microsoft (a support request) if the customer must still be credited."},
	record.NotCancellable: {"A product Partner Center does not cancel this way (an Azure plan, for one), or refused as not cancellable (800061, 800063, 800019, 800077).",
		"The tool cannot cancel it. Handle it in Partner Center (e.g. suspend the subscription) or with Microsoft support."},
	record.NotFound: {"No such order for this customer (Partner Center answered 404).",
		"Check the Customer Tenant ID and Order ID in the input; correct the row and run the corrected rows."},
	record.Mismatch: {"The line's offer id or quantity is not what the input expected: the whole order was held, nothing sent.",
		"Compare the input with the order in Partner Center (Error Message says what differs); correct the row and run it again."},
	record.Invalid: {"The row cannot be used as typed, or names lines the order does not have (Error Message says why). Nothing was sent for its order.",
		"Correct the row in the input and run the corrected rows."},
	record.Duplicate: {"The row asks again for a line an earlier row already asks for: it was not sent twice.",
		"Nothing (or remove the repeated row from the input)."},
	record.Ignored: {"A row that asks for nothing: empty, a note or a totals row.",
		"Nothing."},
	record.Rejected: {"Partner Center refused the request (Error Code and Error Message say why, e.g. no reseller relationship); the same request would be refused again.",
		"Fix the cause first, then: pcreconcile run --resume REPORT --retry-rejected"},
	record.Failed: {"Still failing after every retry, or left by a run stopped before its answer (a retry may succeed).",
		"Resume: pcreconcile run --resume REPORT"},
	record.Pending: {"Not done yet: the run stopped before this line, or Partner Center accepted it and is still processing it.",
		"Resume: pcreconcile run --resume REPORT (the order is read first: nothing is cancelled twice)."},
}

// familyLabels name the families as the Statuses sheet shows them.
var familyLabels = map[record.Family]string{
	record.FamilyDone: "done (green)", record.FamilyWould: "would do (blue)", record.FamilyRetry: "to retry (amber)",
	record.FamilyPerson: "needs a person (red)", record.FamilyIgnored: "asked for nothing (grey)",
}

// writeStatuses fills the Statuses sheet: every status in report order,
// with its family in the family's colour, its meaning and what to do,
// for the report named name.
func (w *writer) writeStatuses(name string) error {
	f, st := w.F, w.Styles
	headers := []string{"Status", "Family", "What it means", "What to do"}
	widths := []float64{20, 24, 60, 60}
	cell := func(col, row int) string { c, _ := excelize.CoordinatesToCellName(col, row); return c }
	for i, h := range headers {
		if err := f.SetCellValue(StatusesSheet, cell(i+1, 1), h); err != nil {
			return err
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(StatusesSheet, col, col, widths[i]); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(StatusesSheet, "A1", "D1", st.Header); err != nil {
		return err
	}
	quoted := ShellQuote(name)
	for i, s := range record.Statuses {
		row := i + 2
		help := statusHelp[s]
		todo := strings.ReplaceAll(help[1], "REPORT", quoted)
		style := st.Status[s.Family()]
		for k, v := range []any{string(s), familyLabels[s.Family()], help[0], todo} {
			if err := f.SetCellValue(StatusesSheet, cell(k+1, row), v); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(StatusesSheet, cell(1, row), cell(2, row), style); err != nil {
			return err
		}
		if err := f.SetCellStyle(StatusesSheet, cell(3, row), cell(4, row), st.Wrap); err != nil {
			return err
		}
		lines := max(book.TextLines(help[0], widths[2]), book.TextLines(todo, widths[3]))
		if err := f.SetRowHeight(StatusesSheet, row, float64(lines*book.RowHeight)); err != nil {
			return err
		}
	}
	if err := f.SetSheetDimension(StatusesSheet, "A1:"+cell(len(headers), len(record.Statuses)+1)); err != nil {
		return err
	}
	if err := f.SetPanes(StatusesSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	landscape, one, tall := "landscape", 1, 0
	if err := f.SetPageLayout(StatusesSheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(StatusesSheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetHeaderFooter(StatusesSheet, w.HeaderFooter)
}
