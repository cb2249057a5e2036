package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

const sampleExport = "samples/partner-center-export.csv"

// Partner Center's own new-commerce reconciliation export, filtered to the
// purchases to cancel, runs as it is: no line numbers, lines found by offer,
// the totals row below the list ignored, every other column copied.
func TestPartnerCenterExportRunsAsItIs(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	res := c.runCfg("check", sampleExport)
	if res.code != exitOK || !strings.Contains(res.stdout, "lines by: offer id from ProductId, SkuId, AvailabilityId") ||
		!strings.Contains(res.stdout, "11 lines (11 by offer id)") || !strings.Contains(res.stdout, "ignored: 1 row asking for nothing (totals, notes): row 13") {
		t.Fatalf("check: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	rep := c.path("r.xlsx")
	res = c.runCfg("run", sampleExport, "--report", rep)
	if res.code != exitIncomplete || strings.Contains(res.stdout, "ignored 1") {
		t.Errorf("run: exit %d (want 1: one customer has no relationship); an ignored row needs no attention\n%s", res.code, res.stdout)
	}
	got := readLines(t, rep)
	want := map[string]string{
		"2/0": "cancelled 4→0", "3/0": "cancelled 25→0", "4/1": "cancelled 3→0",
		"5/0": "cancelled 2→0", "6/1": "cancelled 50→0", "7/2": "cancelled 1→0",
		"8/0": "already_cancelled 0→0", "9/0": "cancelled 6→0", "10/0": "cancelled 20→0", "11/1": "cancelled 2→0",
		"12/": "rejected -→-", "13/": "ignored -→-",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("line %s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d: %v", len(got), len(want), got)
	}
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Lines")
	// The export's columns follow the tool's; those named like one of the
	// tool's (its Currency, its UnitPrice) are renamed "… (input)", so that
	// a reader looking a column up by name finds one of each.
	for _, col := range []string{"PartnerId", "CustomerName", "SkuName", "UnitPrice (input)", "Currency (input)", "ProductCategory", "Currency", "Unit Price"} {
		found := 0
		for _, h := range rows[0] {
			if h == col {
				found++
			}
		}
		if found != 1 {
			t.Errorf("the column %s appears %d times in Lines", col, found)
		}
	}
}

// An order whose offer is on two lines cannot be cancelled by offer: it is
// held, and the reason lists the order's lines and offers.
func TestOfferOnTwoLinesHoldsTheOrder(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	for _, cu := range st.Customers {
		for _, o := range cu.Orders {
			if o.ID == "Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya-" {
				o.LineItems[1].OfferID = o.LineItems[0].OfferID
			}
		}
	}
	if err := st.Save(c.path("sandbox-state.json")); err != nil {
		t.Fatal(err)
	}
	rep := c.path("r.xlsx")
	c.runCfg("run", sampleExport, "--report", rep)
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Row 10 names the offer now on both lines; row 11 the offer no line
	// has any more. Both are held, each saying why and listing the lines.
	lines := "(line 0: DG7GMGF0DVT7:000C:DG7GMGF0FVZM; line 1: DG7GMGF0DVT7:000C:DG7GMGF0FVZM); give a Line Item Number"
	want := map[string]string{
		"10": "offer DG7GMGF0DVT7:000C:DG7GMGF0FVZM is on lines 0 and 1 of order Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya- " + lines,
		"11": "no line of order Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya- has offer DG7GMGF0DWHJ:0001:DG7GMGF0DPW3 " + lines,
	}
	for _, l := range sheetMaps(t, f, "Lines") {
		if l["Order ID"] != "Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya-" {
			continue
		}
		if l["Status"] != "mismatch" || l["Error Message"] != want[l["Source Row"]] {
			t.Errorf("row %s: %s %q", l["Source Row"], l["Status"], l["Error Message"])
		}
		delete(want, l["Source Row"])
	}
	if len(want) > 0 {
		t.Errorf("rows not in the report: %v", want)
	}
}

// A sheet may name some lines by number and others by offer.
func TestLinesByNumberAndByOffer(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	in := c.path("mixed.csv")
	os.WriteFile(in, []byte("Customer Tenant ID,Order ID,Line Item Number,Offer ID\n"+
		"b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76,Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-,0,\n"+
		"b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76,Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-,,dg7gmgf0dwhj:0001:dg7gmgf0dpw3\n"+
		"b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76,Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-,,DG7GMGF0FKZV:0003:DG7GMGF0DWMS\n"), 0o644)
	rep := c.path("r.xlsx")
	if res := c.runCfg("run", in, "--report", rep); res.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	got := readLines(t, rep)
	// Row 4 names by offer the line row 2 named by number: a duplicate.
	for k, w := range map[string]string{"2/0": "cancelled 2→0", "3/2": "cancelled 1→0", "4/0": "duplicate 2→2"} {
		if got[k] != w {
			t.Errorf("line %s = %q, want %q (all: %v)", k, got[k], w, got)
		}
	}
}
