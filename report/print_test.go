package report

import (
	"encoding/xml"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report/book"
	"github.com/pcreconcile/pcreconcile/report/booktest"
)

// The document properties carry the prefixes the standard gives them
// (ExcelJS refuses a core property without its cp: prefix) and AppVersion
// has the XX.YYYY form.
func TestDocumentPropertiesEveryReaderParses(t *testing.T) {
	path, _ := writeFixture(t)
	parts, _, _ := booktest.ArchiveParts(t, path)
	core := parts["docProps/core.xml"]
	for _, want := range []string{"<cp:coreProperties ", "<dc:title>pcreconcile: Cancellation run</dc:title>", "<dc:creator>pcreconcile v1</dc:creator>",
		"<cp:keywords>pcreconcile; run</cp:keywords>", "<cp:lastModifiedBy>pcreconcile v1</cp:lastModifiedBy>", "<dc:identifier>run-1</dc:identifier>",
		`<dcterms:created xsi:type="dcterms:W3CDTF">`} {
		if !strings.Contains(core, want) {
			t.Errorf("core.xml lacks %s:\n%s", want, core)
		}
	}
	// Every element of the core properties is in a namespace, by prefix.
	if m := regexp.MustCompile(`<([A-Za-z]+)[ >]`).FindAllStringSubmatch(core, -1); len(m) > 0 {
		t.Errorf("elements without a prefix: %v", m)
	}
	// Read as a namespace-aware reader does.
	var props struct {
		Keywords string `xml:"http://schemas.openxmlformats.org/package/2006/metadata/core-properties keywords"`
		Creator  string `xml:"http://purl.org/dc/elements/1.1/ creator"`
		Created  string `xml:"http://purl.org/dc/terms/ created"`
	}
	if err := xml.Unmarshal([]byte(core), &props); err != nil || props.Keywords != "pcreconcile; run" || props.Creator != "pcreconcile v1" {
		t.Errorf("core.xml read back: %+v %v", props, err)
	}
	if _, err := time.Parse(time.RFC3339, props.Created); err != nil {
		t.Errorf("created %q: %v", props.Created, err)
	}
	app := parts["docProps/app.xml"]
	if m := regexp.MustCompile(`<AppVersion>(.*)</AppVersion>`).FindStringSubmatch(app); m == nil || !regexp.MustCompile(`^\d\d\.\d{4}$`).MatchString(m[1]) {
		t.Errorf("app.xml AppVersion: %v\n%s", m, app)
	}
	if !strings.Contains(app, "<Application>pcreconcile</Application>") {
		t.Errorf("app.xml: %s", app)
	}
}

// Every sheet lists its columns in order, without overlaps; the table
// sheets give each column its width, and their long text columns wrap.
func TestColumnsInOrder(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	// A long extra value: the column is sized to the cap and wraps.
	if _, err := Write(withPlan(p, recs, Options{Path: path, ExtraWidths: []int{3, 400}, Meta: Meta{RunID: "run-1"}})); err != nil {
		t.Fatal(err)
	}
	_, sheets, _ := booktest.ArchiveParts(t, path)
	col := regexp.MustCompile(`<col ([^>]*?)/?>`)
	attr := func(s, name string) string {
		m := regexp.MustCompile(`\b` + name + `="([^"]*)"`).FindStringSubmatch(s)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for name, x := range sheets {
		last := 0
		for _, m := range col.FindAllStringSubmatch(x, -1) {
			lo, _ := strconv.Atoi(attr(m[1], "min"))
			hi, _ := strconv.Atoi(attr(m[1], "max"))
			if lo <= last || hi < lo {
				t.Errorf("%s: <col %s> after column %d", name, m[1], last)
			}
			last = hi
		}
		if name != SealSheet && last == 0 {
			t.Errorf("%s has no <col> elements", name)
		}
	}
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	widths := map[string]float64{}
	for i, h := range append(record.LineTable.Headers(), p.Extra...) {
		c, _ := excelize.ColumnNumberToName(i + 1)
		widths[h], _ = f.GetColWidth(LinesSheet, c)
	}
	if widths["Ticket"] != extraWidth || widths["Amount"] != book.MaxWidth || widths["Customer Tenant ID"] != 38 {
		t.Errorf("widths %v", widths)
	}
	wrap := map[string]bool{}
	for _, m := range col.FindAllStringSubmatch(sheets[LinesSheet], -1) {
		if attr(m[1], "style") != "" {
			lo, _ := strconv.Atoi(attr(m[1], "min"))
			h := append(record.LineTable.Headers(), p.Extra...)[lo-1]
			wrap[h] = true
		}
	}
	if !wrap["Product"] || !wrap["Error Message"] || !wrap["Amount"] || wrap["Ticket"] || len(wrap) != 3 {
		t.Errorf("wrapping columns %v", wrap)
	}
}

// On paper every table sheet is legible (landscape at 73 %: 8 pt), its
// pages run across then down, split where the columns' subject changes,
// repeating the header row and the column that says which row it is, and
// each page is headed with the title, the SANDBOX marking and the run id,
// and numbered "Page X of Y".
func TestPrintSetup(t *testing.T) {
	p, recs := fixture(t)
	path := filepath.Join(t.TempDir(), "r.xlsx")
	meta := Meta{RunID: "run-7", Mode: record.Run, Endpoint: record.SandboxEndpoint, Stopped: Interrupted, Input: record.Source{Name: "dir/in&out.csv"}}
	if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: meta})); err != nil {
		t.Fatal(err)
	}
	_, sheets, order := booktest.ArchiveParts(t, path)
	workbook := func() string { parts, _, _ := booktest.ArchiveParts(t, path); return parts["xl/workbook.xml"] }()
	for i, name := range order {
		x := sheets[name]
		if name == SummarySheet || isSealSheet(name) {
			continue
		}
		setup := regexp.MustCompile(`<pageSetup [^>]*>`).FindString(x)
		if name == StatusesSheet {
			if !strings.Contains(setup, `orientation="landscape"`) || !strings.Contains(setup, `fitToWidth="1"`) {
				t.Errorf("%s: %s", name, setup)
			}
		} else {
			for _, want := range []string{`orientation="landscape"`, `scale="73"`, `pageOrder="overThenDown"`} {
				if !strings.Contains(setup, want) {
					t.Errorf("%s: %s lacks %s", name, setup, want)
				}
			}
			if strings.Contains(x, "fitToPage") || strings.Contains(setup, "fitToWidth") {
				t.Errorf("%s is still fitted to the page: %s", name, setup)
			}
		}
		var breaks []string
		for _, m := range regexp.MustCompile(`<brk id="(\d+)"[^>]*man="(?:1|true)"`).FindAllStringSubmatch(x, -1) {
			breaks = append(breaks, m[1])
		}
		want := map[string]string{LinesSheet: "5 12 18 23", OrdersSheet: "8 14"}[name] // before Product, Order Status Before, Attempts, the extras
		if got := strings.Join(breaks, " "); got != want {
			t.Errorf("%s: pages across break before columns %q, want %q", name, got, want)
		}
		header := regexp.MustCompile(`<oddHeader>(.*?)</oddHeader>`).FindStringSubmatch(x)
		footer := regexp.MustCompile(`<oddFooter>(.*?)</oddFooter>`).FindStringSubmatch(x)
		if header == nil || footer == nil {
			t.Errorf("%s has no page header or footer", name)
			continue
		}
		for _, want := range []string{"Cancellation run — INTERRUPTED: resume to finish", "SANDBOX", "&amp;Rrun run-7"} {
			if !strings.Contains(header[1], want) {
				t.Errorf("%s: header %q lacks %q", name, header[1], want)
			}
		}
		if !strings.Contains(footer[1], "Page &amp;P of &amp;N") || !strings.Contains(footer[1], "in&amp;&amp;out.csv") {
			t.Errorf("%s: footer %q", name, footer[1])
		}
		cols := "$A:$A"
		if name == OrdersSheet {
			cols = "$B:$B"
		}
		want = "'" + name + "'!" + cols + ",'" + name + "'!$1:$1"
		got := regexp.MustCompile(`<definedName localSheetId="` + strconv.Itoa(i) + `" name="_xlnm.Print_Titles">(.*?)</definedName>`).FindStringSubmatch(workbook)
		if got == nil || strings.ReplaceAll(got[1], "&#39;", "'") != want {
			t.Errorf("%s: print titles %v, want %s", name, got, want)
		}
	}
}

// A wrapped text cell wraps, and its row is as tall as the text: nothing is
// drawn over the next row.
func TestWrappedRowsAreTallEnough(t *testing.T) {
	p, recs := fixture(t)
	long := strings.Repeat("Partner Center refused the cancellation; ", 6) // 246 characters: 6 lines at 47
	o := recs[1]
	o.Lines[0].ErrorMessage = long
	o.ErrorMessage = long
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if _, err := Write(withPlan(p, recs, Options{Path: path, Meta: Meta{RunID: "run-1"}})); err != nil {
		t.Fatal(err)
	}
	_, sheets, _ := booktest.ArchiveParts(t, path)
	f, _ := excelize.OpenFile(path)
	defer f.Close()
	for _, name := range []string{LinesSheet, OrdersSheet} {
		rows, _ := f.GetRows(name)
		at := -1
		for i, r := range rows {
			if strings.Contains(strings.Join(r, "|"), long) {
				at = i + 1
			}
		}
		if at < 0 {
			t.Fatalf("%s: the long message is not there", name)
		}
		row := regexp.MustCompile(`<row r="` + strconv.Itoa(at) + `"[^>]*>`).FindString(sheets[name])
		ht, _ := strconv.ParseFloat(regexp.MustCompile(`ht="([\d.]+)"`).FindStringSubmatch(row + ` ht="0"`)[1], 64)
		if ht < 6*book.RowHeight || !strings.Contains(row, `customHeight="1"`) {
			t.Errorf("%s row %d: %s — want at least %d points", name, at, row, 6*book.RowHeight)
		}
		cell, _ := excelize.CoordinatesToCellName(columnIndex(t, f, name, "Error Message"), at)
		style, _ := f.GetCellStyle(name, cell)
		st, _ := f.GetStyle(style)
		if st == nil || st.Alignment == nil || !st.Alignment.WrapText {
			t.Errorf("%s %s does not wrap: %+v", name, cell, st)
		}
		// A row of short text keeps the default height.
		if short := regexp.MustCompile(`<row r="2"[^>]*>`).FindString(sheets[name]); at != 2 && strings.Contains(short, "customHeight") {
			t.Errorf("%s row 2: %s", name, short)
		}
	}
}

func columnIndex(t *testing.T, f *excelize.File, sheet, header string) int {
	t.Helper()
	rows, _ := f.GetRows(sheet)
	for i, h := range rows[0] {
		if h == header {
			return i + 1
		}
	}
	t.Fatalf("%s has no column %s", sheet, header)
	return 0
}
