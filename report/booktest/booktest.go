// Package booktest reads back the parts of a workbook the tests check:
// the archive's XML, declared dimensions, Summary values. Like
// net/http/httptest, it is for tests only.
package booktest

import (
	"archive/zip"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/report/book"
)

// ArchiveParts reads the parts of the workbook at path: by archive path,
// and each worksheet's XML by sheet name (through the workbook and its
// relationships).
func ArchiveParts(t *testing.T, path string) (parts, sheets map[string]string, order []string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts = map[string]string{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[zf.Name] = string(b)
	}
	rels := map[string]string{}
	for _, m := range regexp.MustCompile(`<Relationship [^>]*Id="([^"]+)"[^>]*Target="([^"]+)"`).FindAllStringSubmatch(parts["xl/_rels/workbook.xml.rels"], -1) {
		rels[m[1]] = "xl/" + strings.TrimPrefix(m[2], "/xl/")
	}
	sheets = map[string]string{}
	for _, m := range regexp.MustCompile(`<sheet name="([^"]+)" sheetId="\d+" (?:state="hidden" )?r:id="([^"]+)"`).FindAllStringSubmatch(parts["xl/workbook.xml"], -1) {
		xml, ok := parts[rels[m[2]]]
		if !ok {
			t.Fatalf("sheet %s: %s is not in the workbook", m[1], rels[m[2]])
		}
		sheets[m[1]] = xml
		order = append(order, m[1])
	}
	if len(sheets) < 4 {
		t.Fatalf("found %d sheets in workbook.xml", len(sheets))
	}
	return parts, sheets, order
}

// CheckDimensions reads every sheet's <dimension> from the file's XML and
// compares it with the cells the sheet holds: readers such as openpyxl's
// read-only mode and Power Query read exactly that range.
func CheckDimensions(t *testing.T, path string) {
	t.Helper()
	_, sheets, _ := ArchiveParts(t, path)
	cellRef := regexp.MustCompile(`<c r="([A-Z]+)(\d+)"`)
	for name, xml := range sheets {
		dim := regexp.MustCompile(`<dimension ref="([^"]+)"`).FindStringSubmatch(xml)
		maxCol, maxRow := 0, 0
		for _, m := range cellRef.FindAllStringSubmatch(xml, -1) {
			col, _ := excelize.ColumnNameToNumber(m[1])
			row, _ := strconv.Atoi(m[2])
			maxCol, maxRow = max(maxCol, col), max(maxRow, row)
		}
		last, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
		if dim == nil || dim[1] != "A1:"+last {
			t.Errorf("sheet %s declares %v, holds A1:%s", name, dim, last)
		}
	}
}

// SummaryValue is the raw value beside label on the Summary sheet of f.
func SummaryValue(t *testing.T, f *excelize.File, label string) string {
	t.Helper()
	rows, _ := f.GetRows(book.SummarySheet, excelize.Options{RawCellValue: true})
	for _, r := range rows {
		if len(r) > 1 && r[0] == label {
			return r[1]
		}
	}
	t.Errorf("the Summary has no %q", label)
	return ""
}
