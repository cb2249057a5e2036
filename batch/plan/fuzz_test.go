package plan_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// seeds adds the corpus files whose name matches to the fuzzer.
func seeds(f *testing.F, match func(name string) bool) {
	f.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "corpus"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if match(e.Name()) {
			b, err := os.ReadFile(filepath.Join("testdata", "corpus", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, extra := range []string{"../../samples/cancellations.csv", "../../samples/partner-center-export.csv", "../../testdata/typed/libreoffice-typed.xlsx"} {
		if match(extra) {
			b, _ := os.ReadFile(extra)
			f.Add(b)
		}
	}
}

// parse runs the whole input path over data and checks what must hold for
// any input: no panic, and — when the sheet is usable — every data row is in
// the plan exactly once and comes out of the report path exactly once. It
// returns what broke.
func parse(name string, data []byte) error {
	h, _ := plan.NewHeaders(nil)
	r, format, err := sheet.OpenReader(name, bytes.NewReader(data), sheet.Options{Typed: true, IsHeader: h.IsHeader})
	if err != nil {
		return nil
	}
	defer r.Close()
	p, err := plan.Build(r, plan.BuildOptions{Headers: h, Extras: true, File: name, XLSX: format == sheet.FormatXLSX})
	if err != nil {
		return nil
	}
	last := 0
	for _, row := range p.Rows.All() {
		if row.Source <= last {
			return fmt.Errorf("row %d after row %d", row.Source, last)
		}
		last = row.Source
	}
	s := p.Summarize()
	if n := s.Lines + s.AllLineRows + s.Invalid + s.Duplicate + s.Ignored; n != p.Rows.Len() {
		return fmt.Errorf("summary counts %d rows, the plan has %d", n, p.Rows.Len())
	}
	seen := map[int]int{}
	for it, err := range run.Outcomes(p, noRecords{}, "run") {
		if err != nil {
			return err
		}
		for _, l := range it.Result.Lines {
			seen[l.Row]++
		}
	}
	for _, row := range p.Rows.All() {
		if seen[row.Source] != 1 {
			return fmt.Errorf("row %d comes out %d times", row.Source, seen[row.Source])
		}
		// A typed cell still says what the sheet said: a number reads back
		// from its text, a date has a time.
		for _, c := range row.Extras {
			switch c.Kind {
			case sheet.Number:
				if n, err := strconv.ParseFloat(c.Text, 64); err != nil || n != c.Num || math.IsInf(n, 0) || math.IsNaN(n) {
					return fmt.Errorf("row %d: number cell %q reads as %v", row.Source, c.Text, c.Num)
				}
			case sheet.Date:
				if c.Time.IsZero() {
					return fmt.Errorf("row %d: date cell %q without a time", row.Source, c.Text)
				}
			}
		}
	}
	return nil
}

// parseInTime fails an input that takes more than 10 seconds: the fuzzer
// has no timeout of its own, and a hang is a bug like a panic. (A panic in
// parse still reaches the fuzzer: it crashes the worker.)
func parseInTime(t *testing.T, name string, data []byte) {
	done := make(chan error, 1)
	go func() { done <- parse(name, data) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("parsing %d bytes took more than 10 s", len(data))
	}
}

type noRecords struct{}

func (noRecords) Get(int) (*record.OrderResult, bool, error)    { return nil, false, nil }
func (noRecords) Intent(int) (*record.OrderResult, bool, error) { return nil, false, nil }
func (noRecords) LinesOf(int) (int, bool)                       { return 0, false }

func FuzzReadCSV(f *testing.F) {
	seeds(f, func(n string) bool { return strings.HasSuffix(n, ".csv") || strings.HasSuffix(n, ".txt") })
	f.Add([]byte("Customer ID;Order;Line\n\"{4A7C2E91-5B3D-4F8A-9C1E-2D6B8F0A3C57}\";o1;*\n"))
	f.Add([]byte("\xff\xfeC\x00u\x00s\x00t\x00"))
	// Lines by offer without a line column; typed columns in both
	// conventions; a totals row.
	f.Add([]byte("CustomerId,OrderId,ProductId,SkuId,AvailabilityId,Betrag,Datum\n4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57,o1,P,3,A,\"1.234,50\",18.11.2026\n,,,,,Total,\n"))
	f.Add([]byte("Customer ID;Order ID;Offer ID;Menge;Am\n4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57;o1;A:B:C;1 234,50;2026-11-18T10:00:00Z\n;;;;x\n"))
	f.Add([]byte("Customer ID,Order ID,Line,Amount,On\n4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57,o1,,\"1,234\",03/04/26\n4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57,o1,2,007,31/02/2026\n"))
	f.Fuzz(func(t *testing.T, data []byte) { parseInTime(t, "fuzz.csv", data) })
}

func FuzzReadXLSX(f *testing.F) {
	seeds(f, func(n string) bool { return strings.HasSuffix(n, ".xlsx") || strings.HasSuffix(n, ".xls") })
	f.Fuzz(func(t *testing.T, data []byte) { parseInTime(t, "fuzz.xlsx", data) })
}
