package plan

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// The corpus (testdata/corpus, made by testdata/make-corpus.py with
// openpyxl and LibreOffice) holds the same six rows as Excel (US and
// German settings), Google Sheets, LibreOffice, a classic Mac and a report
// script save them. Every one must give this plan.
const corpusPlan = `4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57/Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_: line=1 expect=*
4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57/Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0: line=0 expect=4
b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76/Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-: line=* expect=*
e3d95b27-0c4f-4a61-8b7e-9f2a6c1d5e08/12345678901234: line=2 expect=1234 line=3 expect=10
invalid: Customer Tenant ID "not-a-guid": is not a GUID (want e.g. 4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57); Line Item Number "2.5": is not a whole number
`

func corpusFingerprint(p *Plan) string {
	lines := strings.Split(strings.TrimSpace(planFingerprint(p)), "\n")
	sort.Strings(lines)
	out := strings.Join(lines, "\n") + "\n"
	for _, r := range p.Invalid() {
		var why []string
		for _, pr := range r.Problems() {
			why = append(why, pr.Detail())
		}
		out += string(r.Status) + ": " + strings.Join(why, "; ") + "\n"
	}
	return out
}

func TestCorpusDialectsGiveTheSamePlan(t *testing.T) {
	files := map[string]int{ // file → header row
		"excel-us-utf8.csv":         1,
		"excel-de-1252.csv":         1,
		"excel-sep-line.csv":        2,
		"excel-unicode-text.txt":    1,
		"google-sheets.csv":         1,
		"mac-classic-cr.csv":        1,
		"titled-trailing.csv":       4,
		"libreoffice-export.csv":    3,
		"openpyxl.xlsx":             3,
		"hidden-first-sheet.xlsx":   1,
		"libreoffice-formulas.xlsx": 1,
	}
	h, _ := NewHeaders(nil)
	for name, header := range files {
		t.Run(name, func(t *testing.T) {
			p, err := ReadFile(filepath.Join("testdata", "corpus", name), ReadOptions{Headers: h, Extras: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := corpusFingerprint(p); got != corpusPlan {
				t.Errorf("plan:\n%s\nwant\n%s", got, corpusPlan)
			}
			if p.HeaderRow != header {
				t.Errorf("header on row %d, want %d", p.HeaderRow, header)
			}
			// Extra columns are kept, with their header.
			if strings.Join(p.Extra, "|") != "Expected Quantity|Customer|Requested On" {
				t.Errorf("extra columns = %q", p.Extra)
			}
			first := *p.Rows.At(p.Orders[0].Rows[0])
			if name := first.Extras[1].Text; !strings.HasPrefix(name, "Müller GmbH") {
				t.Errorf("customer name = %q (encoding)", name)
			}
		})
	}
}

func TestXLSXKeepsTypesOfExtraColumns(t *testing.T) {
	h, _ := NewHeaders(nil)
	p, err := ReadFile("testdata/corpus/openpyxl.xlsx", ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	row := *p.Rows.At(p.Orders[0].Rows[0]) // Müller, requested 2026-11-18
	qty, when := row.Extras[0], row.Extras[2]
	if qty.Kind != sheet.Number || qty.Num != 4 {
		t.Errorf("Expected Quantity cell = %+v, want the number 4", qty)
	}
	if when.Kind != sheet.Date || !when.Time.Equal(time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Requested On cell = %+v, want the date 2026-11-18", when)
	}
	// The hidden row (Excel row 6) is processed like any other.
	var rows []int
	for _, r := range p.Rows.All() {
		rows = append(rows, r.Source)
	}
	if fmt.Sprint(rows) != "[4 5 6 7 8 9]" {
		t.Errorf("source rows = %v", rows)
	}
}

func TestCorpusFilesThatCannotBeRead(t *testing.T) {
	h, _ := NewHeaders(nil)
	for name, want := range map[string]string{
		"legacy.xls":    "legacy Excel 97-2003",
		"password.xlsx": "password-protected",
	} {
		_, err := ReadFile(filepath.Join("testdata", "corpus", name), ReadOptions{Headers: h})
		var se *sheet.Error
		if !errors.As(err, &se) || !strings.Contains(se.Reason, want) || se.Hint() == "" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestZipBombIsRefused(t *testing.T) {
	// A workbook whose sheet unpacks to far more than the limit allows; the
	// limit is lowered so that the test stays small.
	b, err := os.ReadFile("testdata/corpus/openpyxl.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	os.WriteFile(path, bombify(t, b, 4<<20), 0o644)
	h, _ := NewHeaders(nil)
	_, err = ReadFile(path, ReadOptions{Headers: h, Limits: sheet.Limits{Total: 1 << 20, Floor: 1 << 20}})
	var se *sheet.Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "its part xl/media/padding.bin would unpack to 4.0 MiB") {
		t.Errorf("err = %v", err)
	}
}

// bombify adds a file of n zero bytes (a few KB compressed) to an XLSX.
func bombify(t *testing.T, xlsx []byte, n int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, _ := zw.CreateHeader(&f.FileHeader)
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	w, _ := zw.Create("xl/media/padding.bin")
	w.Write(make([]byte, n))
	zw.Close()
	return out.Bytes()
}
