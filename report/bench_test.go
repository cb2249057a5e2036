package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/internal/peakrss"
)

// benchPlan makes a plan of n lines (two per order) whose outcomes are in a
// real journal, as after a run: the report is written from the journal.
func benchPlan(b *testing.B, n int) (*plan.Plan, *journal.Journal) {
	b.Helper()
	dir := b.TempDir()
	j, err := journal.Create(filepath.Join(dir, "r.xlsx.journal"), journal.Header{RunID: "run-bench"})
	if err != nil {
		b.Fatal(err)
	}
	p := &plan.Plan{Extra: []string{"Ticket", "Requested On"}}
	at := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	var buf []*record.OrderResult
	for i := range n / 2 {
		cust := fmt.Sprintf("%08x-0000-4000-8000-%012x", i%2000, i%2000)
		o := &plan.Order{Seq: i, Customer: cust, ID: fmt.Sprintf("ORD%09d", i)}
		p.Orders = append(p.Orders, o)
		p.Items = append(p.Items, plan.Item{Order: o})
		res := &record.OrderResult{Seq: i, Customer: cust, Order: o.ID, StatusBefore: "completed", StatusAfter: "cancelled",
			Outcome: "cancelled", HTTPStatus: 200, Attempts: 2, RequestID: "655890ba-4d2b-4d09-a95f-4ea1348686a5", DurationMS: 180}
		for l := range 2 {
			line, before, after := l, 5+l, 0
			res.Lines = append(res.Lines, record.LineResult{
				Row: 2 + 2*i + l, Customer: cust, Order: o.ID, Line: &line, Offer: "DG7GMGF0FKZV:0003:DG7GMGF0DWMS",
				Product: "SQL Server Enterprise - 2 Core License Pack - 3 year", Before: &before, After: &after,
				Status: record.Cancelled, OrderBefore: "completed", OrderAfter: "cancelled", Purchased: at.AddDate(0, 0, -2),
				Attempts: 2, RequestID: "655890ba-4d2b-4d09-a95f-4ea1348686a5", CorrelationID: "1438ea3d-b515-45c7-9ec1-27ee0cc8e6bd",
				ProcessedAt: at, RunID: "run-20261121-093000-ab12cd",
				Extras: []sheet.Cell{{Kind: sheet.Text, Text: fmt.Sprintf("FIN-%d", i)}, {Kind: sheet.Date, Time: at}},
			})
		}
		buf = append(buf, res)
		if len(buf) == 4096 {
			if err := j.AppendCarried(buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if err := j.AppendCarried(buf); err != nil {
		b.Fatal(err)
	}
	return p, j
}

// BenchmarkWriteReport writes the workbook of a run of a million lines
// (the target: ≤ 15 s, ≤ 400 MB RSS), reading the outcomes from the
// run's journal.
func BenchmarkWriteReport(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	p, j := benchPlan(b, n)
	defer j.Close()
	debug.FreeOSMemory() // drop the setup's garbage: measure the writing
	// As pcreconcile does (main sets it around the report unless GOGC is set).
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	peak := watchMemory()
	dir := b.TempDir()
	b.ResetTimer()
	var size int64
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, fmt.Sprintf("r%d.xlsx", i))
		c, err := Write(withPlan(p, j, Options{Path: path, Meta: Meta{RunID: "run-bench", Mode: record.Run}}))
		if err != nil {
			b.Fatal(err)
		}
		if c.TotalLines != n {
			b.Fatalf("wrote %d lines, want %d", c.TotalLines, n)
		}
		fi, _ := os.Stat(path)
		size = fi.Size()
		os.Remove(path)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(size)/(1<<20), "MB-file")
	b.ReportMetric(float64(peak())/(1<<20), "MB-peak-mapped")
	if mb, ok := peakrss.MB(); ok {
		b.ReportMetric(mb, "MB-peak-RSS")
	}
}

// watchMemory samples the memory the Go runtime has mapped from the OS
// (heap, stacks, GC metadata) while the benchmark runs; it returns a
// function giving the peak. This is the writing's own footprint, which the
// process's peak RSS hides under the fixture's.
func watchMemory() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		for {
			metrics.Read(sample)
			if used := sample[0].Value.Uint64() - sample[1].Value.Uint64(); used > peak.Load() {
				peak.Store(used)
			}
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	return func() uint64 { close(stop); return peak.Load() }
}
