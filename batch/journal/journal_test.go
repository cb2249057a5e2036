package journal

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/plan/plantest"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

func TestJournalRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.xlsx.journal")
	started := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	j, err := Create(path, Header{RunID: "run-1", Mode: record.Run, Source: record.Source{Path: "/in.csv", SHA256: "abc"}, Started: started})
	if err != nil {
		t.Fatal(err)
	}
	five := 5
	rec := &record.OrderResult{Seq: 3, Customer: plantest.CustomerA, Order: "o1", Outcome: "cancelled", Lines: []record.LineResult{{
		Row: 2, Customer: plantest.CustomerA, Order: "o1", Line: &five, Before: &five, After: new(0), Status: record.Cancelled,
		Extras: []sheet.Cell{{Kind: sheet.Text, Text: "T1"}, {Kind: sheet.Date, Time: started}},
	}}}
	if err := j.Append(rec); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(&record.OrderResult{Seq: 3, Customer: plantest.CustomerA, Order: "o1", Outcome: "again", Lines: []record.LineResult{{Row: 2, Status: record.Failed}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, Header{}); err == nil {
		t.Error("CreateJournal replaced an existing journal")
	}
	j.Close()

	// A crash mid-write leaves a torn block: it is not a record.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("4,2,0,," + plantest.CustomerA + ",o4,completed\n4,2,1,," + plantest.CustomerA + ",o4,compl")
	f.Close()

	old, h, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if h.RunID != "run-1" || h.Source.SHA256 != "abc" || !h.Started.Equal(started) || h.Version != Version {
		t.Errorf("header = %+v", h)
	}
	if old.Has(4) || old.Len() != 1 {
		t.Errorf("torn record indexed: len %d", old.Len())
	}
	got, ok, err := old.Get(3)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got.Outcome != "again" {
		t.Errorf("the latest record of an order must win, got %q", got.Outcome)
	}
	j2, _, _ := Open(path)
	defer j2.Close()
	// Write the first record again, read it back field by field.
	dir := t.TempDir()
	jj, _ := Create(filepath.Join(dir, "j"), Header{})
	rec.ErrorMessage, rec.Lines[0].ErrorMessage = "two, \"quoted\"\nlines", "x,y"
	rec.Lines[0].Expect, rec.Lines[0].Purchased = new(7), started.Add(90*time.Minute)
	jj.Append(rec)
	back, _, err := jj.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", normLine(back.Lines[0])) != fmt.Sprintf("%+v", normLine(rec.Lines[0])) || back.ErrorMessage != rec.ErrorMessage || back.Outcome != rec.Outcome {
		t.Errorf("round trip:\n got %+v %+v\nwant %+v %+v", back, normLine(back.Lines[0]), rec, normLine(rec.Lines[0]))
	}
	jj.Close()
	if hdr, err := ReadHeader(path); err != nil || hdr.RunID != "run-1" {
		t.Errorf("ReadJournalHeader = %+v, %v", hdr, err)
	}
	if b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), ",compl") {
		t.Error("OpenJournal modified the file")
	}
}

func TestJournalExtrasSurvive(t *testing.T) {
	t.Parallel()
	j := newJournal(t)
	when := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	extras := []sheet.Cell{{Kind: sheet.Text, Text: "0012"}, {Kind: sheet.Number, Text: "1234.5", Num: 1234.5}, {}, {Kind: sheet.Date, Time: when, Text: "11/03/26"}}
	j.Append(&record.OrderResult{Seq: 0, Lines: []record.LineResult{{Row: 2, Status: record.Pending, Extras: extras}}})
	got, _, err := j.Get(0)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Lines[0].Extras
	if e[0].Text != "0012" || e[1].Num != 1234.5 || e[2].Kind != sheet.Empty || !e[3].Time.Equal(when) {
		t.Errorf("extras = %+v", e)
	}
}

func TestOpenJournalRejectsOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":        "",
		"text":         "hello\n",
		"old json":     `{"kind":"header","version":1}` + "\n",
		"future":       journalMagic + `{"kind":"header","version":99}` + "\n",
		"columns":      journalMagic + `{"kind":"header","version":2}` + "\nseq,rows\n",
		"out of order": journalMagic + `{"kind":"header","version":2}` + "\n" + strings.Join(journalColumns, ",") + "\n1,2,1,x\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o644)
		if j, _, err := Open(path); err == nil {
			j.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

// normLine renders a line with its pointers followed.
func normLine(l record.LineResult) string {
	return fmt.Sprintf("row=%d c=%s o=%s line=%s/%s b=%s a=%s st=%s bought=%s exp=%s msg=%q extras=%v",
		l.Row, l.Customer, l.Order, qty(l.Line), l.LineText, qty(l.Before), qty(l.After), l.Status,
		l.Purchased.UTC(), qty(l.Expect), l.ErrorMessage, l.Extras)
}

// An intent counts only while no outcome follows it; a prior is found as
// written; v2-style outcomes stay outcomes.
func TestJournalRecordKinds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.xlsx.journal")
	j, err := Create(path, Header{RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	line := func(status record.Status) []record.LineResult {
		return []record.LineResult{{Row: 2, Line: new(0), Before: new(3), Status: status}}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.AppendPrior([]*record.OrderResult{{Seq: 1, Customer: plantest.CustomerA, Order: "o1", Lines: line(record.Failed)}}))
	must(j.AppendIntent(&record.OrderResult{Seq: 1, Customer: plantest.CustomerA, Order: "o1", RequestID: "r1", Lines: line(record.Pending)}))
	must(j.AppendIntent(&record.OrderResult{Seq: 2, Customer: plantest.CustomerA, Order: "o2", RequestID: "r2", Lines: line(record.Pending)}))
	must(j.Append(&record.OrderResult{Seq: 2, Customer: plantest.CustomerA, Order: "o2", Lines: line(record.Cancelled)}))
	j.Close()

	old, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if in, ok, _ := old.Intent(1); !ok || in.RequestID != "r1" || *in.Lines[0].Before != 3 {
		t.Errorf("order 1's intent without an outcome: %v %+v", ok, in)
	}
	if _, ok, _ := old.Intent(2); ok {
		t.Error("order 2's intent counts although its outcome followed")
	}
	if pr, ok, _ := old.Prior(1); !ok || pr.Lines[0].Status != record.Failed {
		t.Errorf("order 1's prior: %v %+v", ok, pr)
	}
	if old.Has(1) || !old.Has(2) || old.Len() != 1 {
		t.Errorf("outcomes: has(1)=%v has(2)=%v len=%d", old.Has(1), old.Has(2), old.Len())
	}
}

// The journal opens in a spreadsheet: no cell may be read as a formula
// there, and every value reads back exactly.
func TestJournalCellsNeverFormulas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.xlsx.journal")
	j, err := Create(path, Header{RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	tricky := []string{`=HYPERLINK("http://x","y")`, "+1", "-3", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain"}
	rec := &record.OrderResult{Seq: 1, Customer: plantest.CustomerA, Order: "o1", ErrorMessage: "=1+1"}
	for i, v := range tricky {
		rec.Lines = append(rec.Lines, record.LineResult{Row: i + 2, Line: new(i), Status: record.Failed, ErrorMessage: v, Product: v,
			Extras: []sheet.Cell{{Kind: sheet.Text, Text: v}}})
	}
	if err := j.Append(rec); err != nil {
		t.Fatal(err)
	}
	j.Close()
	raw, _ := os.ReadFile(path)
	r := csv.NewReader(bytes.NewReader(raw[bytes.IndexByte(raw, '\n')+1:]))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("journal cell %q would be a formula in a spreadsheet", cell)
			}
		}
	}
	old, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	got, _, err := old.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErrorMessage != "=1+1" {
		t.Errorf("order error read back as %q", got.ErrorMessage)
	}
	for i, v := range tricky {
		l := got.Lines[i]
		if l.ErrorMessage != v || l.Product != v || l.Extras[0].Text != v {
			t.Errorf("%q read back as %q / %q / %q", v, l.ErrorMessage, l.Product, l.Extras[0].Text)
		}
	}
}

// Every row of a journal continues a running checksum: an edited, added or
// removed row — or an edited header — is refused, naming the first row
// that no longer matches.
func TestEditedJournalIsRefused(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T) (string, []byte) {
		path := filepath.Join(t.TempDir(), "r.xlsx.journal")
		j, err := Create(path, Header{RunID: "run-1", Mode: record.Run, Endpoint: "https://api.partnercenter.microsoft.com"})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range []record.Status{record.Cancelled, record.Failed, record.Cancelled} {
			o := fmt.Sprintf("o%d", i+1)
			if err := j.Append(&record.OrderResult{Seq: i + 1, Customer: plantest.CustomerA, Order: o, Lines: []record.LineResult{{Row: i + 2, Customer: plantest.CustomerA, Order: o, Line: new(0), Before: new(4), Status: s}}}); err != nil {
				t.Fatal(err)
			}
		}
		j.Close()
		b, _ := os.ReadFile(path)
		return path, b
	}
	path, b := write(t)
	if j, _, err := Open(path); err != nil {
		t.Fatalf("the journal as written: %v", err)
	} else {
		j.Close()
	}
	lines := strings.SplitAfter(string(b), "\n")
	tests := []struct {
		name   string
		edit   func([]string) []string
		line   int
		order  string
		intact bool
	}{
		{"failed made cancelled", func(l []string) []string {
			l[3] = strings.Replace(l[3], ",failed,", ",cancelled,", 1)
			return l
		}, 4, "o2", false},
		{"a row removed", func(l []string) []string { return append(l[:3:3], l[4:]...) }, 4, "o3", false},
		{"a row repeated", func(l []string) []string { return append(l[:5:5], l[3:]...) }, 6, "o2", false},
		{"the endpoint changed", func(l []string) []string {
			l[0] = strings.Replace(l[0], "api.partnercenter", "evil.example", 1)
			return l
		}, 3, "o1", false},
		{"saved with CRLF by a spreadsheet", func(l []string) []string {
			for i := range l {
				l[i] = strings.ReplaceAll(l[i], "\n", "\r\n")
			}
			return l
		}, 3, "o1", false},
		{"the last rows removed: read as cut short", func(l []string) []string { return l[:4] }, 0, "", true},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "r.xlsx.journal")
		os.WriteFile(p, []byte(strings.Join(tt.edit(slices.Clone(lines)), "")), 0o600)
		j, _, err := Open(p)
		if tt.intact {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else {
				j.Close()
			}
			continue
		}
		var ee *EditedError
		if !errors.As(err, &ee) || ee.Line != tt.line || ee.Order != tt.order || ee.Hint() == "" {
			t.Errorf("%s: err = %v, want an EditedError at line %d (order %s)", tt.name, err, tt.line, tt.order)
		}
	}
}

func newJournal(t *testing.T) *Journal {
	t.Helper()
	j, err := Create(filepath.Join(t.TempDir(), "r.xlsx.journal"), Header{RunID: "run-test", Mode: record.Run})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// qty prints a quantity that may be unknown: "-" for nil.
func qty(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

// A journal closed and opened again to append goes on with its chain: the
// rows after the reopening verify, and the records before it still count.
func TestOpenAppendContinuesTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.xlsx.journal")
	j, err := Create(path, Header{RunID: "run-2", ChainID: "run-1", Parent: &record.Parent{RunID: "run-1", Path: "/r/r1.xlsx"}})
	if err != nil {
		t.Fatal(err)
	}
	line := func(s record.Status) []record.LineResult {
		return []record.LineResult{{Row: 2, Line: new(0), Before: new(3), Status: s}}
	}
	j.Append(&record.OrderResult{Seq: 0, Customer: "c", Order: "o1", Lines: line(record.Cancelled)})
	j.Close()
	j, err = OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(&record.OrderResult{Seq: 1, Customer: "c", Order: "o2", Lines: line(record.Failed)}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	back, h, err := Open(path)
	if err != nil {
		t.Fatalf("the reopened journal does not verify: %v", err)
	}
	defer back.Close()
	if back.Len() != 2 || h.Chain() != "run-1" || h.Parent == nil || h.Parent.RunID != "run-1" {
		t.Errorf("len %d, chain %q, parent %+v", back.Len(), h.Chain(), h.Parent)
	}
	if (Header{RunID: "run-9"}).Chain() != "run-9" {
		t.Error("a journal of an earlier version is a chain of its own")
	}
}

// The journal's columns are named once each: a table's key named like
// the journal's own (seq, rows, index, kind, extras, chain) or like another
// table's would read back into the wrong field.
func TestJournalColumnsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range journalColumns {
		if seen[c] {
			t.Errorf("the journal has two columns %q", c)
		}
		seen[c] = true
	}
}
