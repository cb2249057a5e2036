package credits

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

const (
	custA = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"
	custB = "b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76"
)

func TestParseAmount(t *testing.T) {
	for _, tt := range []struct {
		in    string
		comma bool
		want  string
	}{
		{"-94.20", false, "-94.2"}, {"1,234.56", false, "1234.56"}, {"(94.20)", false, "-94.2"}, {"\u221294,20", true, "-94.2"},
		{"1.234,56", true, "1234.56"}, {" 94.20 ", false, "94.2"}, {"", false, "0"}, {"1.234.567", true, "1234567"},
		{"12'373.20", false, "12373.2"}, {"-9.42", false, "-9.42"}, {"1.234,56", false, "1234.56"},
	} {
		got, err := ParseAmount(tt.in, tt.comma)
		if err != nil || !got.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("ParseAmount(%q, %v) = %s, %v; want %s", tt.in, tt.comma, got, err, tt.want)
		}
	}
	for _, bad := range []string{"abc", "1-2", strings.Repeat("9", 50)} {
		if _, err := ParseAmount(bad, false); err == nil {
			t.Errorf("ParseAmount(%q) read", bad)
		}
	}
}

// lines are what a run cancelled, for the matching tests.
func lines() []Line {
	return []Line{
		{Row: 2, Customer: custA, Order: "O1", AlternateID: "alt-o1", Line: 0, Offer: "P1:S1:A1", Kind: "perpetual_software", Quantity: 4, Currency: "USD", Amount: decimal.RequireFromString("400"), Priced: true},
		{Row: 3, Customer: custA, Order: "O2", AlternateID: "alt-o2", Line: 0, Offer: "P2:S2:A2", Kind: "software_subscription", Quantity: 10, Currency: "USD", Amount: decimal.RequireFromString("100.80"), Priced: true},
		{Row: 4, Customer: custA, Order: "O3", Line: 0, Offer: "P3:S3:A3", Quantity: 1, Currency: "USD", Amount: decimal.RequireFromString("50"), Priced: true},
		{Row: 5, Customer: custB, Order: "O4", Line: 0, Offer: "P4:S4:A4", Quantity: 2, Currency: "EUR", Amount: decimal.RequireFromString("20"), Priced: true},
		{Row: 6, Customer: custB, Order: "O5", Line: 0, Offer: "P5:S5:A5", Quantity: 1, Currency: "EUR", Amount: decimal.RequireFromString("10"), Priced: true},
		// Two lines of one order with one offer: one credit row fits either.
		{Row: 7, Customer: custB, Order: "O6", Line: 0, Offer: "P6:S6:A6", Quantity: 1, Currency: "EUR", Amount: decimal.RequireFromString("30"), Priced: true},
		{Row: 8, Customer: custB, Order: "O6", Line: 1, Offer: "P6:S6:A6", Quantity: 2, Currency: "EUR", Amount: decimal.RequireFromString("60"), Priced: true},
	}
}

const reconHeader = "PartnerId,CustomerId,CustomerName,InvoiceNumber,OrderId,ProductId,SkuId,AvailabilityId,ChargeType,UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency,AlternateId,BillableQuantity,SomethingNew\n"

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func match(t *testing.T, files ...string) *Matcher {
	t.Helper()
	m := NewMatcher(lines())
	for _, f := range files {
		if _, err := ReadRecon(f, sheet.Options{}, func(r *Row) error { m.Add(r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	m.Finish()
	return m
}

// Every credit status, from files a test writes: matched by order id and
// by alternate id, by offer from the three id columns, across two files;
// a credit two lines could claim is counted once.
func TestEveryCreditStatus(t *testing.T) {
	billed := write(t, "billed.csv", "\ufeff"+reconHeader+
		"p,"+custA+",Contoso,G1,O1,P1,S1,A1,New,100.00,4,400.00,0,400.00,USD,alt-o1,4,x\n"+ // a purchase: not a credit
		"p,"+custA+",Contoso,G1,O1,P1,S1,A1,Cancel,100.00,-4,-400.00,0,-400.00,USD,alt-o1,-4,x\n"+ // credited
		"p,"+custA+",Contoso,G1,alt-o2,P2,S2,A2,cancelImmediate,-9.42,10,-94.20,0,-94.20,USD,alt-o2,10,x\n"+ // partly, by alternate id
		"p,"+custA+",Contoso,G1,O3,P3,S3,A3,Offset a line item,-60.00,1,-60.00,0,-60.00,USD,,1,x\n"+ // over
		"p,"+custB+",Fabrikam,G2,O4,P4,S4,A4,Cancel,-10.00,2,-20.00,0,-20.00,GBP,,2,x\n"+ // another currency
		"p,"+custB+",Fabrikam,G2,O9,P9,S9,A9,futureRefundKind,-5.00,1,-5.00,0,-5.00,EUR,,1,x\n"+ // nobody's, a charge type not known yet
		",,Total,,,,,,,,,,,,,,,\n")
	unbilled := write(t, "unbilled.csv", reconHeader+
		"p,"+custB+",Fabrikam,G3,O6,P6,S6,A6,Cancel,-30.00,1,-30.00,0,-30.00,EUR,,1,x\n")
	m := match(t, billed, unbilled)
	want := map[int]Status{2: Credited, 3: CreditedPartly, 4: OverCredited, 5: CurrencyDiffers, 6: NotCredited, 7: Credited, 8: NotCredited}
	for _, l := range m.Lines {
		if l.Status != want[l.Row] {
			t.Errorf("row %d: %s (credited %s, note %q), want %s", l.Row, l.Status, l.Credited, l.Note, want[l.Row])
		}
	}
	byRow := map[int]Line{}
	for _, l := range m.Lines {
		byRow[l.Row] = l
	}
	if l := byRow[3]; !l.Credited.Equal(decimal.RequireFromString("94.20")) || !strings.Contains(l.Note, "prorated") || l.Invoices[0] != "G1" || l.Charges[0] != "cancelImmediate" {
		t.Errorf("the prorated subscription: %+v", l)
	}
	if l := byRow[5]; !l.Other["GBP"].Equal(decimal.RequireFromString("20")) || !strings.Contains(l.Note, "credited GBP 20.00, the line was cancelled in EUR") {
		t.Errorf("another currency: %+v", l)
	}
	if l := byRow[8]; !strings.Contains(l.Note, "fits line 0 of row 7 better") {
		t.Errorf("the line that did not get the shared credit: %q", l.Note)
	}
	if len(m.Unmatched) != 1 || m.Unmatched[0].Order != "O9" || m.Unmatched[0].Row.Row != 7 || m.Unmatched[0].Charge != "futureRefundKind" {
		t.Errorf("unmatched %+v", m.Unmatched)
	}
}

// A reconciliation file in Excel's German CSV dialect — semicolons,
// decimal commas, Windows-1252 — reads as the English one.
func TestGermanCSV(t *testing.T) {
	text := "PartnerId;CustomerId;CustomerName;InvoiceNumber;OrderId;ProductId;SkuId;AvailabilityId;ChargeType;UnitPrice;Quantity;Subtotal;Total;Currency\n" +
		"p;" + custA + ";M\xfcller GmbH;G1;O1;P1;S1;A1;Cancel;100,00;-4;-400,00;-400,00;USD\n" +
		"p;" + custA + ";M\xfcller GmbH;G1;O2;P2;S2;A2;cancelImmediate;-9,42;10;-94,20;-94,20;USD\n" +
		"p;" + custA + ";M\xfcller GmbH;G1;O3;P3;S3;A3;Cancel;-1.234,56;1;-1.234,56;-1.234,56;USD\n"
	m := NewMatcher(lines())
	f, err := ReadRecon(write(t, "de.csv", text), sheet.Options{}, func(r *Row) error {
		if r.Row == 2 && r.CustomerName != "Müller GmbH" {
			t.Errorf("name %q", r.CustomerName)
		}
		m.Add(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Finish()
	if f.Rows != 3 || f.Credits != 3 || len(f.Problems) != 0 {
		t.Errorf("file %+v", f)
	}
	if got := m.Lines[2].Credited; !got.Equal(decimal.RequireFromString("1234.56")) {
		t.Errorf("1.234,56 read as %s", got)
	}
	if m.Lines[0].Status != Credited || m.Lines[1].Status != CreditedPartly {
		t.Errorf("statuses %s %s", m.Lines[0].Status, m.Lines[1].Status)
	}
}

// A reconciliation file saved by LibreOffice as XLSX (numbers as numbers,
// shared strings) reads as the CSV it came from.
func TestReconXLSXSavedByLibreOffice(t *testing.T) {
	m := match(t, "testdata/recon-libreoffice.xlsx")
	if m.Lines[0].Status != Credited || m.Lines[1].Status != CreditedPartly {
		t.Errorf("statuses %s %s", m.Lines[0].Status, m.Lines[1].Status)
	}
}

// A file that is no reconciliation file says so; rows whose numbers are
// not numbers are problems of the file, not errors.
func TestReconRefusals(t *testing.T) {
	if _, err := ReadRecon(write(t, "x.csv", "a,b\n1,2\n"), sheet.Options{}, func(*Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "is not a reconciliation file") {
		t.Errorf("err %v", err)
	}
	f, err := ReadRecon(write(t, "r.csv", reconHeader+"p,"+custA+",C,G1,O1,P1,S1,A1,Cancel,x,-4,lots,0,-400,USD,,-4,\n"), sheet.Options{}, func(*Row) error { return nil })
	if err != nil || len(f.Problems) != 1 || !strings.Contains(f.Problems[0], `row 2: amount "lots": not a number`) {
		t.Errorf("%+v %v", f, err)
	}
}

// The reconciliation reader shares the sheets' hardening: a line longer
// than any real file has (a cell of megabytes) and an XLSX that is no
// workbook are refused with the reason, never read into memory whole.
func TestReconHostileFiles(t *testing.T) {
	huge := reconHeader + "p," + custA + ",C,G1,O1,P1,S1,A1,Cancel,100.00,-4,-400.00,0,-400.00,USD,alt-o1,-4," + strings.Repeat("x", 3<<20) + "\n"
	_, err := ReadRecon(write(t, "huge.csv", huge), sheet.Options{}, func(*Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "huge.csv: line 2 is longer than") {
		t.Errorf("a 3 MB cell: %v", err)
	}
	_, err = ReadRecon(write(t, "fake.xlsx", "PartnerId,CustomerId\n"), sheet.Options{}, func(*Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "fake.xlsx: is not a valid XLSX") {
		t.Errorf("a CSV named .xlsx: %v", err)
	}
}
