package credits

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// FuzzReadRecon feeds the reconciliation reader and the matcher any bytes:
// they may refuse a file, never panic, and a row they give is one the file
// has.
func FuzzReadRecon(f *testing.F) {
	f.Add([]byte(reconHeader + "p," + custA + ",C,G1,O1,P1,S1,A1,Cancel,100.00,-4,-400.00,0,-400.00,USD,alt-o1,-4,\n"))
	f.Add([]byte("PartnerId;CustomerId;OrderId;ChargeType;Total;Currency\np;" + custA + ";O1;Cancel;-1.234,56;EUR\n"))
	f.Add([]byte("CustomerId\tOrderId\tChargeType\tSubtotal\n" + custB + "\tO4\tcancelImmediate\t(20)\n"))
	f.Add([]byte("sep=;\nCustomerId;OrderId;ChargeType;Total\n;;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "r.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m := NewMatcher(lines())
		rows := 0
		var given decimal.Decimal // every credit row's amount
		file, err := ReadRecon(path, sheet.Options{}, func(r *Row) error {
			rows++
			if r.Row < 1 {
				t.Errorf("row number %d", r.Row)
			}
			if r.Credit() {
				given = given.Add(r.Amount.Abs())
			}
			m.Add(r)
			return nil
		})
		if err != nil {
			return
		}
		m.Finish()
		if file.Credits > file.Rows || rows > file.Rows {
			t.Errorf("%d credits, %d rows given, of %d rows", file.Credits, rows, file.Rows)
		}
		// No credit counted twice, none lost: what the lines got and what
		// nobody claimed add up to what the rows credited.
		var counted decimal.Decimal
		for _, l := range m.Lines {
			counted = counted.Add(l.Credited)
			for _, a := range l.Other {
				counted = counted.Add(a)
			}
			if l.Status == "" {
				t.Errorf("row %d has no credit status", l.Row)
			}
		}
		for _, u := range m.Unmatched {
			counted = counted.Add(u.Amount.Abs())
		}
		if !counted.Equal(given) {
			t.Errorf("credit rows of %s counted as %s", given, counted)
		}
	})
}
