package plan

import (
	"testing"
)

// Each column is typed from all its values: the decimal separator and the
// date order are the ones every value agrees with; anything ambiguous, and
// any column of identifiers, stays text.
func TestColumnTypes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		values []string
		want   string
	}{
		{"US amounts", []string{"1,234.50", "99.95", "12"}, `number (decimal ".", format #,##0.00)`},
		{"German amounts", []string{"1.234,50", "99,95", "12"}, `number (decimal ",", format #,##0.00)`},
		{"plain decimals", []string{"1234.5", "0.25"}, `number (decimal ".", format 0.00)`},
		{"whole numbers", []string{"4", "25", "3"}, `number (decimal ".", format 0)`},
		{"Swiss grouping", []string{"1'234.50", "5"}, `number (decimal ".", format #,##0.00)`},
		{"grouped both ways: ambiguous", []string{"1,234", "5,000"}, "text"},
		{"one decimal comma decides", []string{"1,234", "5,5"}, `number (decimal ",", format 0.000)`},
		{"ids with a leading zero", []string{"0042", "0107"}, "text"},
		{"long digit strings", []string{"12345678901234567", "1"}, "text"},
		{"mixed text", []string{"12", "n/a"}, "text"},
		{"ISO dates", []string{"2026-11-18", "2026-01-02"}, "date (ymd, format yyyy-mm-dd)"},
		{"ISO date-times", []string{"2026-11-18T10:00:00Z", "2026-11-18 09:30"}, "date (ymd, format yyyy-mm-dd hh:mm:ss)"},
		{"German dates", []string{"18.11.2026", "03.04.2026"}, "date (dmy, format dd.mm.yyyy)"},
		{"US dates", []string{"11/18/2026", "3/4/2026"}, "date (mdy, format m/d/yyyy)"},
		{"day-first with slashes", []string{"18/11/2026", "3/4/2026"}, "date (dmy, format d/m/yyyy)"},
		{"ambiguous dates", []string{"03/04/2026", "05/06/2026"}, "text"},
		{"empty", []string{"", " "}, "text"},
	} {
		var s columnStats
		for _, v := range tt.values {
			s.add(v)
		}
		if got := s.typeOf().String(); got != tt.want {
			t.Errorf("%s %q: %s, want %s", tt.name, tt.values, got, tt.want)
		}
	}
}

// A German semicolon CSV: amounts and dates come through typed, the ids
// stay text, and every value keeps its meaning.
func TestCSVExtrasAreTyped(t *testing.T) {
	t.Parallel()
	p := readPlan(t, "Kunde;Customer Tenant ID;Order ID;Line;Betrag;Datum;Kostenstelle;Notiz\n"+
		"A;"+cA+";o1;0;1.234,50;18.11.2026;0042;x\n"+
		"B;"+cA+";o2;0;99,95;03.04.2026;0107;y\n")
	r := p.Rows.At(0)
	got := map[string]string{}
	for i, c := range r.Extras {
		got[p.Extra[i]] = c.Text + "|" + c.Format
		if p.Extra[i] == "Betrag" && (c.Num != 1234.5) {
			t.Errorf("Betrag = %v", c.Num)
		}
		if p.Extra[i] == "Datum" && c.Time.Format("2006-01-02") != "2026-11-18" {
			t.Errorf("Datum = %v", c.Time)
		}
	}
	for col, want := range map[string]string{"Betrag": "1234.50|#,##0.00", "Datum": "18.11.2026|dd.mm.yyyy", "Kostenstelle": "0042|", "Kunde": "A|"} {
		if got[col] != want {
			t.Errorf("%s = %q, want %q", col, got[col], want)
		}
	}
}
