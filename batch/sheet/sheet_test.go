package sheet

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func isHeader(texts []string) bool {
	joined := strings.ToLower(strings.Join(texts, "|"))
	return strings.Contains(joined, "order") && strings.Contains(joined, "line")
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type row struct {
	n     int
	texts []string
}

func readAll(t *testing.T, path string, opts Options) ([]row, Reader) {
	t.Helper()
	if opts.IsHeader == nil {
		opts.IsHeader = isHeader
	}
	r, _, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	var out []row
	for r.Next() {
		rec := r.Record()
		if rec.Err != nil {
			out = append(out, row{rec.Row, []string{"ERR: " + rec.Err.Error()}})
			continue
		}
		out = append(out, row{rec.Row, rec.Texts()})
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out, r
}

var want = []row{
	{1, []string{"Customer", "Order", "Line", "Notes"}},
	{2, []string{"c1", "o1", "0", "a, b"}},
	{3, []string{"c2", "o2", "*", "x"}},
}

func TestCSVDialects(t *testing.T) {
	utf16le := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	utf16be := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
		comma    rune
	}{
		{"comma LF", []byte("Customer,Order,Line,Notes\nc1,o1,0,\"a, b\"\nc2,o2,*,x\n"), "UTF-8", ','},
		{"comma CRLF with BOM", []byte("\xEF\xBB\xBFCustomer,Order,Line,Notes\r\nc1,o1,0,\"a, b\"\r\nc2,o2,*,x\r\n"), "UTF-8 with BOM", ','},
		{"semicolon (European Excel)", []byte("Customer;Order;Line;Notes\nc1;o1;0;a, b\nc2;o2;*;x\n"), "UTF-8", ';'},
		{"tab, UTF-16LE (Excel Unicode text)", utf16le("Customer\tOrder\tLine\tNotes\r\nc1\to1\t0\ta, b\r\nc2\to2\t*\tx\r\n"), "UTF-16LE", '\t'},
		{"tab, UTF-16BE", utf16be("Customer\tOrder\tLine\tNotes\nc1\to1\t0\ta, b\nc2\to2\t*\tx\n"), "UTF-16BE", '\t'},
		{"classic Mac CR line ends", []byte("Customer,Order,Line,Notes\rc1,o1,0,\"a, b\"\rc2,o2,*,x\r"), "UTF-8", ','},
		{"trailing empty columns", []byte("Customer,Order,Line,Notes,,\nc1,o1,0,\"a, b\",,\nc2,o2,*,x,,\n"), "UTF-8", ','},
		{"no final newline", []byte("Customer,Order,Line,Notes\nc1,o1,0,\"a, b\"\nc2,o2,*,x"), "UTF-8", ','},
		{"pipe", []byte("Customer|Order|Line|Notes\nc1|o1|0|a, b\nc2|o2|*|x\n"), "UTF-8", '|'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := readAll(t, write(t, "in.csv", tt.data), Options{})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %v\nwant %v", got, want)
			}
			cr := r.(*csvReader)
			if cr.Encoding != tt.encoding || cr.Comma != tt.comma {
				t.Errorf("detected %s %q, want %s %q", cr.Encoding, cr.Comma, tt.encoding, tt.comma)
			}
		})
	}
}

func TestCSVRowNumbersAreTextLines(t *testing.T) {
	data := "Report of cancellations\n\nCustomer,Order,Line,Notes\n\nc1,o1,0,\"two\nlines\"\n,,,\nc2,o2,1,x\n"
	got, _ := readAll(t, write(t, "in.csv", []byte(data)), Options{})
	wantRows := []int{1, 3, 5, 8}
	var rows []int
	for _, r := range got {
		rows = append(rows, r.n)
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("row numbers = %v, want %v (blank and empty rows skipped, multi-line values counted)", rows, wantRows)
	}
	if got[2].texts[3] != "two\nlines" {
		t.Errorf("quoted newline value = %q", got[2].texts[3])
	}
}

func TestCSVSepLine(t *testing.T) {
	got, r := readAll(t, write(t, "in.csv", []byte("sep=;\nCustomer;Order;Line;Notes\nc1;o1;0;a, b\nc2;o2;*;x\n")), Options{})
	if r.(*csvReader).Comma != ';' {
		t.Errorf("delimiter = %q", r.(*csvReader).Comma)
	}
	if got[0].n != 2 || got[1].n != 3 {
		t.Errorf("rows = %v, want numbering to count the sep= line", got)
	}
}

func TestCSVExplicitDelimiter(t *testing.T) {
	got, _ := readAll(t, write(t, "in.csv", []byte("Customer;Order;Line;Notes\nc1;o1;0;a, b\n")), Options{Delimiter: ','})
	if len(got[0].texts) != 1 || len(got[1].texts) != 2 {
		t.Errorf("with --delimiter , the rows are %v", got)
	}
}

func TestCSVWindows1252(t *testing.T) {
	data, _ := charmap.Windows1252.NewEncoder().Bytes([]byte("Customer;Order;Line;Notes\nc1;o1;0;Müller GmbH – Zürich\n"))
	got, r := readAll(t, write(t, "in.csv", data), Options{})
	if r.(*csvReader).Encoding != "Windows-1252" || got[1].texts[3] != "Müller GmbH – Zürich" {
		t.Errorf("encoding %s, value %q", r.(*csvReader).Encoding, got[1].texts[3])
	}
}

func TestCSVMalformedRowsAndFiles(t *testing.T) {
	// A bare quote spoils its row only.
	got, _ := readAll(t, write(t, "in.csv", []byte("Customer,Order,Line,Notes\nc1,o1,0,a 5\" screen\nc2,o2,1,x\n")), Options{})
	if len(got) != 3 || !strings.HasPrefix(got[1].texts[0], "ERR: malformed CSV") || got[1].n != 2 || got[2].texts[0] != "c2" {
		t.Errorf("rows = %v", got)
	}
	// An unclosed quote would swallow rows: the file is refused.
	r, _, err := Open(write(t, "in.csv", []byte("Customer,Order,Line,Notes\nc1,o1,0,\"open\nc2,o2,1,x\nc3,o3,2,y\n")), Options{IsHeader: isHeader})
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
	}
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "never closed") {
		t.Errorf("err = %v, want an unclosed-quote error", err)
	}
}

func TestStructuralErrors(t *testing.T) {
	dir := t.TempDir()
	zipBytes := func() []byte {
		f := excelize.NewFile()
		f.SetCellValue("Sheet1", "A1", "x")
		b, _ := f.WriteToBuffer()
		return b.Bytes()
	}()
	tests := []struct {
		name, file string
		data       []byte
		reason     string
	}{
		{"missing", "", nil, "cannot open"},
		{"empty", "e.csv", []byte(" \n\n"), "empty"},
		{"random bytes", "r.csv", []byte("\x00\x01\x02\xff\xfe\x00garbage\x00"), "binary"},
		{"legacy xls", "old.xls", append([]byte(oleMagic), make([]byte, 600)...), "OLE"},
		{"truncated xlsx", "t.xlsx", zipBytes[:len(zipBytes)/2], "not a readable XLSX"},
		{"renamed text as xlsx", "x.xlsx", []byte("Customer,Order\n"), "not a valid XLSX"},
		{"directory", "sub", nil, "directory"},
		{"long line", "long.csv", []byte(strings.Repeat("x", 2<<20)), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.csv")
			switch {
			case tt.name == "directory":
				path = filepath.Join(dir, "sub")
				os.Mkdir(path, 0o755)
			case tt.file != "":
				path = filepath.Join(dir, tt.file)
				os.WriteFile(path, tt.data, 0o644)
			}
			r, _, err := Open(path, Options{IsHeader: isHeader})
			if err == nil {
				for r.Next() {
				}
				err = r.Err()
				r.Close()
			}
			var se *Error
			if !errors.As(err, &se) || !strings.Contains(se.Error(), tt.reason) {
				t.Errorf("err = %v, want an *Error about %q", err, tt.reason)
			}
		})
	}
}

func makeXLSX(t *testing.T, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	build(f)
	path := filepath.Join(t.TempDir(), "in.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestXLSXRawAndTypedValues(t *testing.T) {
	path := makeXLSX(t, func(f *excelize.File) {
		s := "Sheet1"
		f.SetCellValue(s, "A1", "Cancellations — November")
		f.SetSheetRow(s, "A3", &[]any{"Customer", "Order", "Line", "Qty", "When", "Amount", "Flag", "Code"})
		f.SetSheetRow(s, "A4", &[]any{"c1", 12345678901234, 2.5, 1234, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), 1234.5, true, "0012"})
		f.SetSheetRow(s, "A6", &[]any{"c2", "o2", 3})
		// A line number 2.5 shown with format "0" displays 3: the raw value must win.
		st, _ := f.NewStyle(&excelize.Style{NumFmt: 1})
		f.SetCellStyle(s, "C4", "C4", st)
		money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
		f.SetCellStyle(s, "F4", "F4", money)
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		f.SetCellStyle(s, "E4", "E4", date)
	})
	got, _ := readAll(t, path, Options{})
	if got[0].n != 1 || got[1].n != 3 || got[2].n != 4 || got[3].n != 6 {
		t.Fatalf("row numbers: %v", got)
	}
	if r := got[2].texts; r[1] != "12345678901234" || r[2] != "2.5" || r[3] != "1234" {
		t.Errorf("raw values = %v, want exact stored digits", r)
	}

	r, _, err := Open(path, Options{Typed: true, IsHeader: isHeader})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var cells []Cell
	for r.Next() {
		if r.Record().Row == 4 {
			cells = append(cells, r.Record().Cells...)
		}
	}
	if cells[4].Kind != Date || !cells[4].Time.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date cell = %+v", cells[4])
	}
	if cells[5].Kind != Number || cells[5].Num != 1234.5 {
		t.Errorf("money cell = %+v, want the number 1234.5", cells[5])
	}
	if cells[6].Kind != Bool || cells[6].Text != "TRUE" {
		t.Errorf("bool cell = %+v", cells[6])
	}
	if cells[7].Kind != Text || cells[7].Text != "0012" {
		t.Errorf("text cell = %+v, leading zeros must stay text", cells[7])
	}
}

func TestXLSXSheetChoice(t *testing.T) {
	path := makeXLSX(t, func(f *excelize.File) {
		f.SetCellValue("Sheet1", "A1", "hidden one")
		f.NewSheet("November")
		f.SetSheetRow("November", "A1", &[]any{"Order", "Line"})
		f.SetSheetRow("November", "A2", &[]any{"o1", 1})
		f.SetActiveSheet(1)
		if err := f.SetSheetVisible("Sheet1", false); err != nil {
			t.Fatal(err)
		}
	})
	got, _ := readAll(t, path, Options{})
	if got[0].texts[0] != "Order" {
		t.Errorf("first visible sheet not chosen: %v", got)
	}
	got, _ = readAll(t, path, Options{Sheet: "sheet1"})
	if got[0].texts[0] != "hidden one" {
		t.Errorf("--sheet (case-insensitive) not honoured: %v", got)
	}
	_, _, err := Open(path, Options{Sheet: "December"})
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Hint(), `"Sheet1", "November"`) {
		t.Errorf("unknown sheet: err = %v hint = %v", err, se)
	}
}

func TestDateLike(t *testing.T) {
	tests := []struct {
		shown, raw string
		want       bool
	}{
		{"11/03/26", "46329", true},
		{"2026-11-03", "46329", true},
		{"03.11.2026", "46329", true},
		{"3-Nov-26", "46329", true},
		{"09:30", "0.395833333333333", true},
		{"1,234.50", "1234.5", false},
		{"1.234,50", "1234.5", false},
		{"1.234.567", "1234567", false},
		{"$1,234", "1234", false},
		{"12%", "0.12", false},
		{"(1,234)", "-1234", false},
		{"1.23E+03", "1230", false},
	}
	for _, tt := range tests {
		if got := dateLike(tt.shown, tt.raw); got != tt.want {
			t.Errorf("dateLike(%q, %q) = %v, want %v", tt.shown, tt.raw, got, tt.want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := ColumnName(i); got != want {
			t.Errorf("ColumnName(%d) = %s, want %s", i, got, want)
		}
	}
}

// The number format of an XLSX cell is rebuilt from how it is shown.
func TestFormatsFromShownValues(t *testing.T) {
	for _, tt := range []struct{ shown, raw, want string }{
		{"1,234.50", "1234.5", "#,##0.00"},
		{"1234.5", "1234.5", ""},
		{"12%", "0.12", "0%"},
		{"12.50%", "0.125", "0.00%"},
		{"$1,234.50", "1234.5", `"$"#,##0.00`},
		{"1,234.50 €", "1234.5", `#,##0.00" ""€"`},
		{"0042", "42", "0000"},
		{"n/a", "1", ""},
	} {
		if got := numberFormatOf(tt.shown, tt.raw); got != tt.want {
			t.Errorf("numberFormatOf(%q, %q) = %q, want %q", tt.shown, tt.raw, got, tt.want)
		}
	}
	at := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	early := time.Date(2026, 3, 3, 9, 5, 7, 0, time.UTC)
	for _, tt := range []struct {
		shown string
		t     time.Time
		want  string
	}{
		{"18.11.2026", at, "dd.mm.yyyy"},
		{"11/18/2026", at, "mm/dd/yyyy"},
		{"11/18/26", at, "mm/dd/yy"},
		{"2026-11-18", at, "yyyy-mm-dd"},
		{"18-Nov-2026", at, "dd-mmm-yyyy"},
		{"November 18, 2026", at, "mmmm dd, yyyy"},
		{"03/03/2026", early, "mm/dd/yyyy"},
		{"03.03.2026 09:05:07", early, "dd.mm.yyyy hh:mm:ss"},
		{"3/3/2026 9:05 AM", early, "m/d/yyyy h:mm AM/PM"},
		{"Q4 2026", at, "yyyy-mm-dd"},
	} {
		if got := dateFormatOf(tt.shown, tt.t); got != tt.want {
			t.Errorf("dateFormatOf(%q) = %q, want %q", tt.shown, got, tt.want)
		}
	}
}

// The whole file decides its encoding: valid UTF-8 wins, a few stray bytes
// in a UTF-8 file are problems of their rows (never silently changed), and a
// file whose high bytes are mostly not UTF-8 is Windows-1252.
func TestCSVEncodingIsDecidedOnTheWholeFile(t *testing.T) {
	header := "Customer;Order;Line;Notes\n"
	many := func(n int, row string) string { return strings.Repeat(row, n) }
	tests := []struct {
		name, data, encoding string
		check                func(t *testing.T, got []row)
	}{
		{"a 1252 byte among UTF-8", header + many(50, "c1;o1;0;café\n") + "c2;o2;1;caf\xe9\n" + many(50, "c3;o3;0;Zürich\n"),
			"UTF-8, with bytes that are not", func(t *testing.T, got []row) {
				if got[1].texts[3] != "café" || got[52].texts[3] != "Zürich" {
					t.Errorf("UTF-8 rows read as %q, %q", got[1].texts[3], got[52].texts[3])
				}
				if bad := got[51]; !strings.HasPrefix(bad.texts[0], "ERR: column D holds bytes that are not UTF-8") {
					t.Errorf("the stray row: %v", bad)
				}
			}},
		{"a stray byte after the first megabyte", header + many(40000, "c1;o1;0;Grüße aus München\n") + "c2;o2;1;\x81x\n",
			"UTF-8, with bytes that are not", func(t *testing.T, got []row) {
				if last := got[len(got)-1]; last.n != 40002 || !strings.HasPrefix(last.texts[0], "ERR: column D") {
					t.Errorf("last row: %v", last)
				}
			}},
		{"Windows-1252 with one sequence that happens to be UTF-8", header + many(30, "c1;o1;0;M\xfcller \xe9t\xe9\n") + "c2;o2;1;\xc3\xa9\n",
			"Windows-1252", func(t *testing.T, got []row) {
				if got[1].texts[3] != "Müller été" || got[31].texts[3] != "Ã©" {
					t.Errorf("rows read as %q, %q", got[1].texts[3], got[31].texts[3])
				}
			}},
		{"UTF-8 with a character across the first megabyte's end", header + strings.Repeat("x", 1<<20-len(header)-9) + ";o;0;€€€\n",
			"UTF-8", func(t *testing.T, got []row) {
				if got[1].texts[3] != "€€€" {
					t.Errorf("value %q", got[1].texts[3])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []row
			r, _, err := Open(write(t, "in.csv", []byte(tt.data)), Options{IsHeader: isHeader})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for r.Next() {
				rec := r.Record()
				texts := rec.Texts()
				if rec.Err != nil {
					texts = append([]string{"ERR: " + rec.Err.Error()}, texts...)
				}
				for _, s := range texts {
					if !utf8.ValidString(s) {
						t.Errorf("row %d: invalid UTF-8 %q", rec.Row, s)
					}
				}
				got = append(got, row{rec.Row, texts})
			}
			if enc := r.(*csvReader).Encoding; enc != tt.encoding {
				t.Errorf("encoding %q, want %q", enc, tt.encoding)
			}
			tt.check(t, got)
		})
	}
}
