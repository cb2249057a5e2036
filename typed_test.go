package main

import (
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The input's own columns reach the Lines sheet typed, as the spreadsheet
// had them: numbers as numbers and dates as dates, each with a number
// format matching what the sheet showed; identifiers with leading zeros
// stay text. Read back from the written workbook.
func TestExtraColumnsKeepTheirTypes(t *testing.T) {
	t.Parallel()
	const ids = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57,Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0,0"
	for _, tt := range []struct {
		name, file, content string
		// column → "raw value|shown value|type"
		want map[string]string
	}{
		{name: "US CSV", file: "us.csv",
			content: "Customer Tenant ID,Order ID,Line Item Number,Amount,Requested On,Cost Center,Note\n" +
				ids + `,"1,234.50",11/18/2026,0042,"=HYPERLINK(""x"")"` + "\n",
			want: map[string]string{
				"Amount":       "1234.5|1,234.50|number",
				"Requested On": "46344|11/18/2026|number",
				"Cost Center":  "0042|0042|text",
				"Note":         `=HYPERLINK("x")|=HYPERLINK("x")|text`,
			}},
		{name: "German semicolon CSV", file: "de.csv",
			content: "Customer Tenant ID;Order ID;Line Item Number;Betrag;Datum;Kostenstelle;Menge\n" +
				strings.ReplaceAll(ids, ",", ";") + ";1.234,50;18.11.2026;0042;4\n",
			want: map[string]string{
				"Betrag":       "1234.5|1,234.50|number",
				"Datum":        "46344|18.11.2026|number",
				"Kostenstelle": "0042|0042|text",
				"Menge":        "4|4|number",
			}},
		{name: "LibreOffice XLSX", file: "testdata/typed/libreoffice-typed.xlsx",
			want: map[string]string{
				"Amount":       "1234.5|1,234.50|number",
				"Share":        "0.125|12.50%|number",
				"Requested On": "46344|18.11.2026|number",
				"Cost Center":  "0042|0042|text",
				"Price":        "12373.2|12,373.20 €|number",
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			in := tt.file
			if tt.content != "" {
				in = c.path(tt.file)
				os.WriteFile(in, []byte(tt.content), 0o644)
			}
			rep := c.path("plan.xlsx")
			if res := c.runCfg("plan", in, "--report", rep); res.code != exitOK && res.code != exitIncomplete {
				t.Fatalf("plan exit %d\n%s", res.code, res.stderr)
			}
			f, err := excelize.OpenFile(rep)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, _ := f.GetRows("Lines")
			for col, want := range tt.want {
				cell := ""
				for i, h := range rows[0] {
					if h == col {
						cell, _ = excelize.CoordinatesToCellName(i+1, 2)
					}
				}
				if cell == "" {
					t.Errorf("no column %s in %v", col, rows[0])
					continue
				}
				raw, _ := f.GetCellValue("Lines", cell, excelize.Options{RawCellValue: true})
				shown, _ := f.GetCellValue("Lines", cell)
				typ, _ := f.GetCellType("Lines", cell)
				kind := "text"
				if typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset {
					kind = "number"
				}
				if got := raw + "|" + shown + "|" + kind; got != want {
					t.Errorf("%s = %q, want %q", col, got, want)
				}
			}
		})
	}
}
