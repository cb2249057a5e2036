package credits

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/internal/peakrss"
)

// BenchmarkCredits matches a chain of a million cancelled lines against
// reconciliation files of two million rows (a purchase and a credit per
// line), reading the files as the command does.
func BenchmarkCredits(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	lines := benchLines(n)
	path := filepath.Join(b.TempDir(), "recon.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "CustomerId,InvoiceNumber,OrderId,ProductId,SkuId,AvailabilityId,ChargeType,UnitPrice,Quantity,Subtotal,Total,Currency")
	for i := range lines {
		l := &lines[i]
		p := fmt.Sprintf("DG7GMGF0FK%02d", i%2)
		fmt.Fprintf(w, "%s,G000004101,%s,%s,0003,DG7GMGF0DWMS,New,11385.00,2,22770.00,22770.00,EUR\n", l.Customer, l.Order, p)
		fmt.Fprintf(w, "%s,G000004102,%s,%s,0003,DG7GMGF0DWMS,Cancel,11385.00,-2,-22770.00,-22770.00,EUR\n", l.Customer, l.Order, p)
	}
	w.Flush()
	f.Close()
	lines = nil
	fi, _ := os.Stat(path)
	// As pcreconcile credits does (unless GOGC is set).
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	b.ResetTimer()
	for b.Loop() {
		peak := peakrss.Watch()
		start := time.Now()
		m := NewMatcher(benchLines(n)) // the matcher fills its lines in: fresh ones each time
		file, err := ReadRecon(path, sheet.Options{}, func(r *Row) error { m.Add(r); return nil })
		if err != nil {
			b.Fatal(err)
		}
		m.Finish()
		if file.Rows != 2*n || file.Credits != n {
			b.Fatalf("read %d rows, %d credits", file.Rows, file.Credits)
		}
		for i := range m.Lines {
			if m.Lines[i].Status != Credited {
				b.Fatalf("line %d: %s", i, m.Lines[i].Status)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s")
		b.ReportMetric(peak(), "MB-peak-mapped")
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MB-recon")
	b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "rows/s")
	if mb, ok := peakrss.MB(); ok {
		b.ReportMetric(mb, "MB-peak-RSS")
	}
}

// benchLines are n cancelled lines of 2,000 customers, two to an order.
func benchLines(n int) []Line {
	lines := make([]Line, n)
	amount := decimal.RequireFromString("22770.00")
	for i := range lines {
		lines[i] = Line{Row: i + 2, Customer: fmt.Sprintf("%08x-0000-4000-8000-%012x", i%2000, i%2000), Order: fmt.Sprintf("ORD%09d", i/2),
			Line: i % 2, Offer: fmt.Sprintf("DG7GMGF0FK%02d:0003:DG7GMGF0DWMS", i%2), Quantity: 2, Currency: "EUR", Amount: amount, Priced: true}
	}
	return lines
}
