package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
)

// summaryOf reads the Summary's labelled values (raw) of the workbook at
// path.
func summaryOf(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(report.SummarySheet, excelize.Options{RawCellValue: true})
	out := map[string]string{}
	for _, r := range rows {
		if len(r) > 1 && r[0] != "" {
			if _, dup := out[r[0]]; !dup {
				out[r[0]] = r[1]
			}
		}
	}
	return out
}

// signOff fills the plan's sign-off block as a reviewer does in Excel: a
// name in the Prepared by row, a date typed beside it; Reviewed by blank.
func signOff(t *testing.T, path, name string, on time.Time) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(report.SummarySheet)
	for i, r := range rows {
		if len(r) > 0 && r[0] == report.LabelPreparedBy {
			f.SetCellValue(report.SummarySheet, fmt.Sprintf("B%d", i+1), name)
			f.SetCellValue(report.SummarySheet, fmt.Sprintf("F%d", i+1), on)
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// Executing a signed-off plan records the approval: the plan's run id,
// file SHA-256 and seal, its sign-off as filled in, and how the run was
// confirmed — and every later link of the chain carries it on.
func TestApprovalTrail(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	realEndpoint(t, c)
	if res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	planned := summaryOf(t, c.path("plan.xlsx"))
	signOff(t, c.path("plan.xlsx"), "Jane Doe", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	sum, _ := plan.FileSHA256(c.path("plan.xlsx"))

	c.tty, c.stdin = true, "y\n"
	res := c.runCfg("run", "--resume", c.path("plan.xlsx"), "--report", c.path("run.xlsx"))
	c.tty, c.stdin = false, ""
	if res.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	// The prompt counted the work to do and what it is worth.
	for _, want := range []string{"2 customers, 3 orders, 6 lines to cancel", "worth EUR 25,147.80; USD 51,947.10 (as the plan priced them)"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, res.stderr)
		}
	}
	ran := summaryOf(t, c.path("run.xlsx"))
	for label, want := range map[string]string{
		report.LabelPlanRun: planned[report.LabelRunID], report.LabelPlanSHA: sum, report.LabelPlanSeal: planned[report.LabelSeal],
		report.LabelPlanPrepared: "Jane Doe", report.LabelPlanPreparedOn: "2026-11-30", report.LabelPlanReviewed: "(left blank in the plan)",
	} {
		if ran[label] != want {
			t.Errorf("%s = %q, want %q", label, ran[label], want)
		}
	}
	if !strings.HasPrefix(ran[report.LabelConfirmed], "at the prompt by ") {
		t.Errorf("Confirmed = %q", ran[report.LabelConfirmed])
	}
	if res := c.run("verify", c.path("run.xlsx")); res.code != exitOK {
		t.Errorf("verify: exit %d\n%s", res.code, res.stdout)
	}

	// A later link carries the approval; its own confirmation is its own.
	res = c.runCfg("run", "--resume", c.path("run.xlsx"), "--retry-rejected", "--yes", "--report", c.path("again.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	again := summaryOf(t, c.path("again.xlsx"))
	if again[report.LabelPlanRun] != planned[report.LabelRunID] || again[report.LabelPlanPrepared] != "Jane Doe" || again[report.LabelConfirmed] != "not asked: --yes" {
		t.Errorf("the resume's approval: plan %q, prepared %q, confirmed %q", again[report.LabelPlanRun], again[report.LabelPlanPrepared], again[report.LabelConfirmed])
	}
}

// The Summary's per-currency totals are the sums of the Lines, Orders and
// Customers sheets' Amount Cancelled, in a run and in a plan.
func TestTotalsTieOut(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, step := range []struct {
		args  []string
		label string
	}{
		{[]string{"plan", sampleCSV, "--report", c.path("plan.xlsx")}, report.LabelWouldCancel},
		{[]string{"run", sampleCSV, "--report", c.path("run.xlsx")}, report.LabelAmount},
	} {
		if res := c.runCfg(step.args...); res.code != exitIncomplete {
			t.Fatalf("%v: exit %d\n%s", step.args, res.code, res.stderr)
		}
		path := step.args[len(step.args)-1]
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]map[string]decimal.Decimal{}
		for _, sheet := range []string{report.LinesSheet, report.OrdersSheet, report.CustomersSheet} {
			rows, _ := f.GetRows(sheet, excelize.Options{RawCellValue: true})
			at := map[string]int{}
			for i, h := range rows[0] {
				at[h] = i
			}
			sums[sheet] = map[string]decimal.Decimal{}
			for _, r := range rows[1:] {
				cur, amount := cell(r, at["Currency"]), cell(r, at["Amount Cancelled"])
				if amount != "" {
					sums[sheet][cur] = sums[sheet][cur].Add(decimal.RequireFromString(amount))
				}
			}
		}
		f.Close()
		summary := summaryOf(t, path)
		for _, cur := range []string{"EUR", "USD"} {
			want := decimal.RequireFromString(summary[step.label+" ("+cur+")"]).Round(2)
			if want.IsZero() {
				t.Errorf("%s: no %s (%s) in the Summary", path, step.label, cur)
			}
			for sheet, byCur := range sums {
				if got := byCur[cur].Round(2); !got.Equal(want) {
					t.Errorf("%s: %s sums to %s %s, the Summary says %s", path, sheet, cur, got, want)
				}
			}
		}
	}
}

func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// discover → run: the Candidates sheet is an input as it is, and a run of
// it cancels exactly those lines — its books say so, and a discover after
// it finds none of them left.
func TestDiscoverThenRun(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	res := c.runCfg("discover", "--report", c.path("candidates.xlsx"))
	if res.code != exitIncomplete || !strings.Contains(res.stdout, "Can still be cancelled  14 lines") || !strings.Contains(res.stdout, "Not read: 1 customer") {
		t.Fatalf("discover: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	f, err := excelize.OpenFile(c.path("candidates.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "Candidates,Customers,Not read,Summary" {
		t.Errorf("sheets %s", got)
	}
	rows, _ := f.GetRows(report.CandidatesSheet, excelize.Options{RawCellValue: true})
	f.Close()
	want := map[string]string{} // customer/order/line → amount at stake
	for _, r := range rows[1:] {
		want[r[0]+"/"+r[2]+"/"+r[3]] = r[13]
	}
	if len(want) != 14 {
		t.Fatalf("%d candidates", len(want))
	}
	if res := c.runCfg("run", c.path("candidates.xlsx"), "--report", c.path("run.xlsx")); res.code != exitOK {
		t.Fatalf("run of the candidates: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	p, err := report.Open(c.path("run.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n := 0
	p.Lines(func(l record.LineResult) error {
		n++
		key := l.Customer + "/" + l.Order + "/" + fmt.Sprint(*l.Line)
		amount, ok := want[key]
		if !ok || l.Status != record.Cancelled || !l.AmountCancelled().Decimal.Equal(decimal.RequireFromString(amount)) {
			t.Errorf("%s: %s %v, want cancelled for %s", key, l.Status, l.AmountCancelled(), amount)
		}
		return nil
	})
	if n != len(want) {
		t.Errorf("%d lines in the run, %d candidates", n, len(want))
	}
	res = c.runCfg("discover", "--report", c.path("after.xlsx"))
	if !strings.Contains(res.stdout, "Can still be cancelled  0 lines") {
		t.Errorf("a discover after the run:\n%s", res.stdout)
	}
}
