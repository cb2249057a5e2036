package batch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	sample, _ := os.ReadFile("../samples/cancellations.csv")
	f.Add(sample)
}

// parse runs the whole input path over data and checks what must hold for
// any input: no panic, and — when the sheet is usable — every data row is in
// the plan exactly once and comes out of the report path exactly once. It
// returns what broke.
func parse(name string, data []byte) error {
	h, _ := NewHeaders(nil)
	r, format, err := sheet.OpenReader(name, bytes.NewReader(data), sheet.Options{Typed: true, IsHeader: h.IsHeader})
	if err != nil {
		return nil
	}
	defer r.Close()
	p, err := Build(r, BuildOptions{Headers: h, Extras: true, File: name, XLSX: format == sheet.FormatXLSX})
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
	err = p.Results(noRecords{}, "run", func(res *OrderResult, _ bool) error {
		for _, l := range res.Lines {
			seen[l.Row]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, row := range p.Rows.All() {
		if seen[row.Source] != 1 {
			return fmt.Errorf("row %d comes out %d times", row.Source, seen[row.Source])
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

func (noRecords) Get(int) (*OrderResult, bool, error)    { return nil, false, nil }
func (noRecords) Intent(int) (*OrderResult, bool, error) { return nil, false, nil }
func (noRecords) LinesOf(int) (int, bool)                { return 0, false }

func FuzzReadCSV(f *testing.F) {
	seeds(f, func(n string) bool { return strings.HasSuffix(n, ".csv") || strings.HasSuffix(n, ".txt") })
	f.Add([]byte("Customer ID;Order;Line\n\"{4A7C2E91-5B3D-4F8A-9C1E-2D6B8F0A3C57}\";o1;*\n"))
	f.Add([]byte("\xff\xfeC\x00u\x00s\x00t\x00"))
	f.Fuzz(func(t *testing.T, data []byte) { parseInTime(t, "fuzz.csv", data) })
}

func FuzzReadXLSX(f *testing.F) {
	seeds(f, func(n string) bool { return strings.HasSuffix(n, ".xlsx") || strings.HasSuffix(n, ".xls") })
	f.Fuzz(func(t *testing.T, data []byte) { parseInTime(t, "fuzz.xlsx", data) })
}
