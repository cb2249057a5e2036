package plan

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/internal/peakrss"
)

// benchFiles are generated once per process, outside the timed loops.
var (
	benchOnce sync.Map
	benchDir  = filepath.Join(os.TempDir(), "pcreconcile-bench")
)

func benchCustomer(i int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(i*2654435761), i%65536, i%4096, (i*7)%4096, i)
}

// benchCSV writes a sheet of n rows: two lines per order, 2,000 customers,
// an offer id, an expected quantity and a notes column.
func benchCSV(b *testing.B, n int) string {
	path := filepath.Join(benchDir, fmt.Sprintf("check-%d.csv", n))
	once, _ := benchOnce.LoadOrStore(path, new(sync.Once))
	once.(*sync.Once).Do(func() {
		if _, err := os.Stat(path); err == nil {
			return // made by an earlier run (files are renamed into place complete)
		}
		os.MkdirAll(benchDir, 0o755)
		f, err := os.Create(path + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		defer os.Rename(path+".tmp", path)
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "Customer Tenant ID,Order ID,Line Item Number,Offer ID,Expected Quantity,Notes")
		for i := range n {
			fmt.Fprintf(w, "%s,ORD%09d,%d,DG7GMGF0FKZV:0003:DG7GMGF0DWMS,%d,note %d\n", benchCustomer(i/2%2000), i/2, i%2, 1+i%50, i)
		}
		w.Flush()
		f.Close()
	})
	return path
}

func benchXLSX(b *testing.B, n int) string {
	path := filepath.Join(benchDir, fmt.Sprintf("check-%d.xlsx", n))
	once, _ := benchOnce.LoadOrStore(path, new(sync.Once))
	once.(*sync.Once).Do(func() {
		if _, err := os.Stat(path); err == nil {
			return
		}
		os.MkdirAll(benchDir, 0o755)
		f := excelize.NewFile()
		sw, _ := f.NewStreamWriter("Sheet1")
		sw.SetRow("A1", []any{"Customer Tenant ID", "Order ID", "Line Item Number", "Offer ID", "Expected Quantity", "Notes"})
		for i := range n {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			sw.SetRow(cell, []any{benchCustomer(i / 2 % 2000), fmt.Sprintf("ORD%09d", i/2), i % 2, "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", 1 + i%50, fmt.Sprintf("note %d", i)})
		}
		sw.Flush()
		if err := f.SaveAs(path + ".tmp.xlsx"); err != nil {
			b.Fatal(err)
		}
		os.Rename(path+".tmp.xlsx", path)
	})
	return path
}

// reportMemory adds the heap the plan keeps and the process's peak RSS.
func reportMemory(b *testing.B, keep any) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "MB-heap-live")
	if mb, ok := peakrss.MB(); ok {
		b.ReportMetric(mb, "MB-peak-RSS")
	}
	runtime.KeepAlive(keep)
}

func benchRead(b *testing.B, path string, rows int, extras bool) {
	h, _ := NewHeaders(nil)
	b.ReportAllocs()
	b.ResetTimer()
	var p *Plan
	for b.Loop() {
		var err error
		p, err = ReadFile(path, ReadOptions{Headers: h, Extras: extras})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if s := p.Summarize(); s.Lines != rows {
		b.Fatalf("read %d lines, want %d", s.Lines, rows)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	reportMemory(b, p)
}

func benchRows(full int) int {
	if testing.Short() {
		return 10_000
	}
	return full
}

// BenchmarkCheckCSV is `check` on a CSV: read, validate and group
// (the target at 1,000,000 rows: ≤ 1.5 s, ≤ 300 MB RSS).
func BenchmarkCheckCSV(b *testing.B) {
	n := benchRows(1_000_000)
	benchRead(b, benchCSV(b, n), n, false)
}

// BenchmarkReadCSVForRun is the same read keeping the extra columns, as
// run and plan do.
func BenchmarkReadCSVForRun(b *testing.B) {
	n := benchRows(1_000_000)
	benchRead(b, benchCSV(b, n), n, true)
}

// BenchmarkCheckXLSX is `check` on an XLSX (the target at 100,000 rows:
// ≤ 1 s).
func BenchmarkCheckXLSX(b *testing.B) {
	n := benchRows(100_000)
	benchRead(b, benchXLSX(b, n), n, false)
}

// BenchmarkReadXLSXForRun reads with number formats, for typed extras.
func BenchmarkReadXLSXForRun(b *testing.B) {
	n := benchRows(100_000)
	benchRead(b, benchXLSX(b, n), n, true)
}
