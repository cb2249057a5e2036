package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/samples"
)

// sheetMaps reads a sheet as maps keyed by its header row, values raw.
func sheetMaps(t *testing.T, f *excelize.File, name string) []map[string]string {
	t.Helper()
	rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
	if err != nil || len(rows) == 0 {
		t.Fatalf("sheet %s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return d
}

// The sample run's money, line by line, and the totals of orders and
// customers, each equal to the sum of its lines, in one currency each.
func TestMoneyInTheWorkbook(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	rep := c.path("r.xlsx")
	if res := c.runCfg("run", sampleCSV, "--report", rep); res.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	lines := sheetMaps(t, f, "Lines")
	want := map[string]string{ // row/line → unit price, currency, amount cancelled
		"2/0": "12373.2 USD 49492.8", "3/0": "75.6 USD 1890", "4/1": "188.1 USD 564.3",
		"5/0": "11385 EUR 22770", "5/1": "28.08 EUR 1404", "5/2": "973.8 EUR 973.8",
		"6/0": "69.57 EUR 0", "7/0": "173.07 EUR 0", "8/0": " GBP ", "9/0": "856.8 GBP 0",
		"10/0": "9900 GBP 0", "11/4": "  ", "12/0": "  ", "13/0": "  ",
	}
	byOrder := map[string]decimal.Decimal{}
	byCustomer := map[string]decimal.Decimal{}
	for _, l := range lines {
		key := l["Source Row"] + "/" + l["Line Item Number"]
		got := l["Unit Price"] + " " + l["Currency"] + " " + l["Amount Cancelled"]
		if w, ok := want[key]; ok && got != w {
			t.Errorf("line %s money = %q, want %q", key, got, w)
		}
		// Amount Cancelled is Unit Price × the quantity this run cancelled.
		if l["Unit Price"] != "" {
			qty := dec(t, l["Quantity Before"]).Sub(dec(t, l["Quantity After"]))
			if l["Status"] != "cancelled" {
				qty = decimal.Zero
			}
			if a := dec(t, l["Unit Price"]).Mul(qty); !a.Equal(dec(t, l["Amount Cancelled"])) {
				t.Errorf("line %s: Amount Cancelled %s, Unit Price × quantity cancelled is %s", key, l["Amount Cancelled"], a)
			}
		}
		byOrder[l["Order ID"]] = byOrder[l["Order ID"]].Add(dec(t, l["Amount Cancelled"]))
		byCustomer[l["Customer Tenant ID"]+" "+l["Currency"]] = byCustomer[l["Customer Tenant ID"]+" "+l["Currency"]].Add(dec(t, l["Amount Cancelled"]))
	}
	for _, o := range sheetMaps(t, f, "Orders") {
		if !dec(t, o["Amount Cancelled"]).Equal(byOrder[o["Order ID"]]) {
			t.Errorf("order %s: Amount Cancelled %s, its lines add up to %s", o["Order ID"], o["Amount Cancelled"], byOrder[o["Order ID"]])
		}
		if o["Order ID"] == "Md6Vx1Kq8Wr3Zt0Nb5Pc2Lf9Hj4Gs7Ya-" && !strings.Contains(o["Error Message"], "differs from line 0's offer") {
			t.Errorf("a held order does not say why on the Orders sheet: %q", o["Error Message"])
		}
	}
	customers := sheetMaps(t, f, "Customers")
	got := map[string]string{}
	for _, cu := range customers {
		got[cu["Customer Name"]] = strings.Join([]string{cu["Currency"], cu["Orders"], cu["Lines"], cu["Lines Cancelled"], cu["Quantity Cancelled"], cu["Amount Cancelled"], cu["Lines Needing Attention"]}, " ")
		if a := byCustomer[cu["Customer Tenant ID"]+" "+cu["Currency"]]; !dec(t, cu["Amount Cancelled"]).Equal(a) {
			t.Errorf("customer %s %s: Amount Cancelled %s, its lines add up to %s", cu["Customer Name"], cu["Currency"], cu["Amount Cancelled"], a)
		}
	}
	for name, w := range map[string]string{
		// The duplicate row typed "{4A7C…}" counts as Contoso; it and the
		// 2.5 row need attention.
		"Contoso Pharmaceuticals": "USD 2 5 3 32 51947.1 2",
		"Fabrikam Logistics":      "EUR 3 6 3 53 25147.8 2", // outside window; the row without an order id
		"Northwind Traders":       "GBP 5 5 0 0 0 5",        // prices, nothing cancelled: 0, not blank
		"Tailspin Toys":           " 1 1 0 0  1",            // refused before its order (and currency) was read
	} {
		if got[name] != w {
			t.Errorf("Customers %s = %q, want %q", name, got[name], w)
		}
	}

	// The Summary names each currency's total; none adds two currencies.
	summary := map[string]string{}
	srows, _ := f.GetRows("Summary", excelize.Options{RawCellValue: true})
	for _, r := range srows {
		if len(r) >= 2 {
			summary[r[0]] = r[1]
		}
		for _, v := range r {
			if v == "77094.9" { // USD + EUR
				t.Errorf("the Summary adds two currencies: row %v", r)
			}
		}
	}
	for k, v := range map[string]string{"Amount cancelled (USD)": "51947.1", "Amount cancelled (EUR)": "25147.8", report.LabelQuantity: "85"} {
		if summary[k] != v {
			t.Errorf("Summary %s = %q, want %q", k, summary[k], v)
		}
	}
	if !strings.Contains(summary[report.LabelPrices], "pricing.price (10 lines); 1 line read without a price") {
		t.Errorf("Summary says of prices: %q", summary[report.LabelPrices])
	}
}

// A caller who may not see prices gets none: the money cells are blank,
// never 0, and the Summary and the run's output say why.
func TestNoPricesLeavesMoneyBlank(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	st, err := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	if err != nil {
		t.Fatal(err)
	}
	st.PricesHidden = true
	if err := st.Save(c.path("sandbox-state.json")); err != nil {
		t.Fatal(err)
	}
	rep := c.path("r.xlsx")
	res := c.runCfg("run", sampleCSV, "--report", rep)
	if res.code != exitIncomplete || !strings.Contains(res.stdout, "not known: Partner Center returned no prices") {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range []string{"Lines", "Orders", "Customers"} {
		for _, r := range sheetMaps(t, f, sheet) {
			if r["Unit Price"] != "" || r["Amount Cancelled"] != "" {
				t.Errorf("%s has money without prices: %v", sheet, r)
			}
		}
	}
	summary := map[string]string{}
	srows, _ := f.GetRows("Summary")
	for _, r := range srows {
		if len(r) >= 2 {
			summary[r[0]] = r[1]
		}
	}
	if !strings.Contains(summary[report.LabelPrices], "Partner Center returned no prices") {
		t.Errorf("Summary says of prices: %q", summary[report.LabelPrices])
	}
	if _, ok := summary["Amount cancelled (USD)"]; ok {
		t.Error("the Summary shows an amount cancelled without prices")
	}
	os.Remove(rep)
}
