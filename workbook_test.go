package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/credits"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/candidatebook"
	"github.com/pcreconcile/pcreconcile/report/creditbook"
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
	rows, _ := f.GetRows(candidatebook.CandidatesSheet, excelize.Options{RawCellValue: true})
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

// run → sandbox recon → credits: the sandbox bills what it cancelled (and
// a few things wrong, on purpose), and credits says so line by line.
func TestCreditsAfterASandboxRun(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.runCfg("run", sampleCSV, "--report", c.path("run.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("sandbox", "recon", "--out", c.path("recon.csv")); res.code != exitOK {
		t.Fatalf("sandbox recon: exit %d\n%s", res.code, res.stderr)
	}
	res := c.runCfg("credits", c.path("run.xlsx"), c.path("recon.csv"), "--report", c.path("credits.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("credits: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"EUR       25,147.80  25,147.80        0.00", "credited           3", "credited_partly    2", "not_credited       1", "unexpected_credit  1"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, res.stdout)
		}
	}
	f, err := excelize.OpenFile(c.path("credits.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Summary,Lines,Unmatched Credits,Customers,Statuses" {
		t.Errorf("sheets %s", got)
	}
	got := creditStatuses(t, f)
	if !maps.Equal(got, sampleCredits) {
		t.Errorf("credit statuses %v\nwant %v", got, sampleCredits)
	}
	// The workbook explains every credit status, and what to do about it.
	explained, _ := f.GetRows(report.StatusesSheet)
	if len(explained) != len(credits.Statuses)+1 {
		t.Errorf("Statuses sheet: %v", explained)
	}
	for i, s := range credits.Statuses {
		if r := explained[min(i+1, len(explained)-1)]; len(r) < 3 || r[0] != string(s) || len(r[1]) < 30 || len(r[2]) < 7 {
			t.Errorf("Statuses row for %s: %v", s, r)
		}
	}
	if summary := summaryOf(t, c.path("credits.xlsx")); summary[creditbook.LabelCredited+" (USD)"] == "" || summary[creditbook.LabelReportChecked] != c.path("run.xlsx") {
		t.Errorf("Summary %v", summary)
	}
	// The same file given twice would count its credits twice.
	if res := c.runCfg("credits", c.path("run.xlsx"), c.path("recon.csv"), c.path("recon.csv"), "--report", c.path("twice.xlsx")); res.code != exitUsage || !strings.Contains(res.stderr, "are the same file") {
		t.Errorf("the same file twice: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if fileExists(c.path("twice.xlsx")) {
		t.Error("a refused credits check wrote a workbook")
	}
}

// sampleCredits are the credit statuses of the sample sheet's run on a
// fresh sandbox against the sandbox's reconciliation file, by "row/line":
// two prorated subscriptions (one in the sandbox's own short-paid way),
// one line the billing missed, three credited in full.
var sampleCredits = map[string]string{"2/0": "credited_partly", "3/0": "credited_partly", "4/1": "not_credited", "5/0": "credited", "5/1": "credited", "5/2": "credited"}

// creditStatuses reads a credits workbook's Lines: "row/line" → status.
func creditStatuses(t *testing.T, f *excelize.File) map[string]string {
	t.Helper()
	rows, _ := f.GetRows(report.LinesSheet)
	if len(rows) == 0 {
		t.Fatal("no Lines sheet")
	}
	at := map[string]int{}
	for i, h := range rows[0] {
		at[h] = i
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[at["Source Row"]]+"/"+r[at["Line Item Number"]]] = r[at["Credit Status"]]
	}
	return got
}

// A run report re-saved by LibreOffice (every part rewritten: shared
// strings, its own number notation) verifies, and its credits are those
// of the workbook pcreconcile wrote: the lines, their amounts and each
// order's Alternate ID read back as written.
func TestCreditsOfALibreOfficeResave(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	resaved := filepath.Join("testdata", "libreoffice", "run-resaved.xlsx")
	recon := filepath.Join("testdata", "libreoffice", "run-recon.csv")
	res := c.runCfg("credits", resaved, recon, "--report", c.path("credits.xlsx"))
	if res.code != exitIncomplete || strings.Contains(res.stderr, "no seal") {
		t.Fatalf("credits: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "EUR       25,147.80  25,147.80        0.00") || !strings.Contains(res.stdout, "unexpected_credit  1") {
		t.Errorf("summary:\n%s", res.stdout)
	}
	f, err := excelize.OpenFile(c.path("credits.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := creditStatuses(t, f); !maps.Equal(got, sampleCredits) {
		t.Errorf("credit statuses %v\nwant %v", got, sampleCredits)
	}
	// The kinds read back from the re-saved dates: the subscription's short
	// credit is the proration, the perpetual licence's is money owed.
	rows, _ := f.GetRows(report.LinesSheet)
	src, note := slices.Index(rows[0], "Source Row"), slices.Index(rows[0], "Note")
	for _, r := range rows[1:] {
		want := map[string]string{"2": "perpetual software is credited in full", "3": "prorated: a software subscription"}[r[src]]
		if want != "" && (note >= len(r) || !strings.Contains(r[note], want)) {
			t.Errorf("row %s: note %v, want %q", r[src], r, want)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// What cannot be the evidence of a cancellation is refused before any
// file is read: a plan (it cancelled nothing) and a report changed since
// it was written (an edited Quantity Before would be believed).
func TestCreditsRefusesWhatIsNoEvidence(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("run", sampleCSV, "--report", c.path("run.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("sandbox", "recon", "--out", c.path("recon.csv")); res.code != exitOK {
		t.Fatalf("sandbox recon: exit %d\n%s", res.code, res.stderr)
	}
	res := c.runCfg("credits", c.path("plan.xlsx"), c.path("recon.csv"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "is a plan: it cancelled nothing") {
		t.Errorf("a plan: exit %d\n%s", res.code, res.stderr)
	}
	// Quantity Before of a cancelled line, 4 → 4000, as a user might type.
	f, err := excelize.OpenFile(c.path("run.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(report.LinesSheet)
	col := slices.Index(rows[0], "Quantity Before")
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	f.SetCellInt(report.LinesSheet, cell, 4000)
	if err := f.SaveAs(c.path("edited.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res = c.runCfg("credits", c.path("edited.xlsx"), c.path("recon.csv"), "--report", c.path("credits.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "was changed after pcreconcile wrote it") || !strings.Contains(res.stderr, "Quantity Before") {
		t.Errorf("an edited report: exit %d\n%s", res.code, res.stderr)
	}
	if fileExists(c.path("credits.xlsx")) {
		t.Error("a refused credits check wrote a workbook")
	}
}

// A reconciliation file that credits every cancelled line exactly — a
// whole credit per line, each as its Amount Cancelled — exits 0, and every
// line is credited with nothing still owed.
func TestCreditsEveryLineCreditedExitsZero(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.runCfg("run", sampleCSV, "--report", c.path("run.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	prior, err := report.Open(c.path("run.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := creditbook.CancelledLines(prior)
	prior.Close()
	if err != nil || len(lines) == 0 {
		t.Fatalf("%d cancelled lines, %v", len(lines), err)
	}
	var b strings.Builder
	b.WriteString("CustomerId,OrderId,ProductId,SkuId,AvailabilityId,ChargeType,UnitPrice,Quantity,Total,Currency,InvoiceNumber\n")
	for _, l := range lines {
		id := strings.Split(l.Offer, ":")
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,Cancel,%s,%d,%s,%s,G0001\n", l.Customer, l.Order, id[0], id[1], id[2],
			l.Amount.Div(decimal.NewFromInt(int64(l.Quantity))).Neg().StringFixed(2), l.Quantity, l.Amount.Neg().StringFixed(2), l.Currency)
	}
	if err := os.WriteFile(c.path("recon.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res := c.runCfg("credits", c.path("run.xlsx"), c.path("recon.csv"), "--report", c.path("credits.xlsx"))
	if res.code != exitOK {
		t.Fatalf("credits: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if want := fmt.Sprintf("credited  %d", len(lines)); !strings.Contains(res.stdout, want) || strings.Contains(res.stdout, "not credited as they should be") {
		t.Errorf("want %q:\n%s", want, res.stdout)
	}
	summary := summaryOf(t, c.path("credits.xlsx"))
	for _, cur := range []string{"EUR", "USD"} {
		if got := summary[creditbook.LabelStillOwed+" ("+cur+")"]; got != "0" {
			t.Errorf("%s still owed %q", cur, got)
		}
	}
}

// credits checks a chain through its head: the head's report carries the
// cancellations of the runs before it; an earlier link's report is
// checked as it is, and the output and the Summary name the later run
// whose report holds every cancellation of the chain.
func TestCreditsFollowTheChain(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	sb, _ := realEndpoint(t, c)
	if res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("a.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	sb.SetRelationship("7c2b9e48-d1f3-4a0e-b6c5-3e8d0a4f9b12", true)
	if res := c.runCfg("run", "--resume", c.path("a.xlsx"), "--retry-rejected", "--yes", "--report", c.path("b.xlsx")); res.code != exitIncomplete {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	runID := func(path string) string {
		p, err := report.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		return p.RunID()
	}
	runA, runB := runID(c.path("a.xlsx")), runID(c.path("b.xlsx"))
	var recon bytes.Buffer
	if err := sb.Recon(&recon); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("recon.csv"), recon.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	res := c.runCfg("credits", c.path("a.xlsx"), c.path("recon.csv"), "--report", c.path("ca.xlsx"))
	if note := "run " + runB + " continued this chain: its report " + c.path("b.xlsx"); !strings.Contains(res.stdout, note) {
		t.Errorf("the earlier link's check does not name the later run:\n%s", res.stdout)
	}
	if !strings.Contains(summaryOf(t, c.path("ca.xlsx"))[creditbook.LabelLaterRun], runB) {
		t.Error("the Summary does not name the later run")
	}

	res = c.runCfg("credits", c.path("b.xlsx"), c.path("recon.csv"), "--report", c.path("cb.xlsx"))
	if strings.Contains(res.stdout, "continued this chain") {
		t.Errorf("the head's check names a later run:\n%s", res.stdout)
	}
	f, err := excelize.OpenFile(c.path("cb.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(report.LinesSheet)
	src, run := slices.Index(rows[0], "Source Row"), slices.Index(rows[0], "Run ID")
	byRun := map[string][]string{}
	for _, r := range rows[1:] {
		byRun[r[run]] = append(byRun[r[run]], r[src])
	}
	if got := strings.Join(byRun[runB], " "); got != "13" {
		t.Errorf("lines the resume cancelled: %q, want 13", got)
	}
	if len(byRun[runA]) == 0 || len(byRun) != 2 {
		t.Errorf("the head's check covers the chain: %v", byRun)
	}
}
