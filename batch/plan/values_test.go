package plan

import (
	"strings"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

func TestParseGUID(t *testing.T) {
	const want = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"
	for _, in := range []string{
		want,
		"4A7C2E91-5B3D-4F8A-9C1E-2D6B8F0A3C57",
		"{4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57}",
		"(4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57)",
		"urn:uuid:4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57",
		"4a7c2e915b3d4f8a9c1e2d6b8f0a3c57",
		"  4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57\t",
		"\u00a04a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57\u00a0",
		"\u200b4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57\u200b",
		"4a7c2e91-5b3d-\u200b4f8a-9c1e-2d6b8f0a3c57",
		"\ufeff4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57",
	} {
		got, err := record.ParseGUID(in)
		if err != nil || got != want {
			t.Errorf("parseGUID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "  ", "not-a-guid", "4a7c2e91-5b3d-4f8a-9c1e", "00000000-0000-0000-0000-000000000000", "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c5z", "Contoso Ltd"} {
		if got, err := record.ParseGUID(in); err == nil {
			t.Errorf("parseGUID(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseOrderID(t *testing.T) {
	tests := []struct {
		in       string
		xlsx     bool
		want     string
		errorHas string
	}{
		{"2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1", false, "2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1", ""},
		{"  abc-DEF_123\u00a0", false, "abc-DEF_123", ""},
		{"\u200babc", false, "abc", ""},
		{"12345678901234", true, "12345678901234", ""},
		{"1234567890123456", false, "1234567890123456", ""}, // CSV keeps digits as typed
		{"1234567890123456", true, "", "more than 15 digits"},
		{"1.23456789012346E+18", true, "", "E notation"},
		{"", false, "", "empty"},
		{"abc def", false, "", "' '"},
		{"abc/def", false, "", "'/'"},
		{"ordér", false, "", "'é'"},
		{strings.Repeat("a", 129), false, "", "longer than 128"},
	}
	for _, tt := range tests {
		got, err := parseOrderID(tt.in, tt.xlsx)
		if tt.errorHas == "" {
			if err != nil || got != tt.want {
				t.Errorf("parseOrderID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.errorHas) {
			t.Errorf("parseOrderID(%q) err = %v, want one mentioning %s", tt.in, err, tt.errorHas)
		}
	}
}

func TestParseLineAndCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true},
		{"2", 2, true},
		{"2.0", 2, true},
		{"2,0", 2, true},
		{"2.00", 2, true},
		{"010", 10, true}, // decimal, never octal
		{" 7 ", 7, true},
		{"1,234", 1234, true},
		{"1.234", 1234, true},
		{"1 234", 1234, true},
		{"1\u00a0234", 1234, true},
		{"1'234", 1234, true},
		{"1,234,567", 1234567, true},
		{"1.000", 0, false}, // 1000 or 1?
		{"1,000", 0, false},
		{"2.5", 0, false},
		{"2,5", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"1,23", 0, false},
		{"12,34,567", 0, false},
		{"1.234,5", 0, false},
		{"abc", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCount(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseCount(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, in := range []string{"", "*", " * ", "\u00a0"} {
		if n, err := parseLine(in); err != nil || n != EveryLine {
			t.Errorf("parseLine(%q) = %d, %v; want every line", in, n, err)
		}
	}
	if _, err := parseLine("5000000"); err == nil {
		t.Error("parseLine accepted an implausible line number")
	}
}

func TestHeaders(t *testing.T) {
	h, err := NewHeaders(map[string][]string{"order_id": {"Auftrag"}, "line_item_number": {"Position"}})
	if err != nil {
		t.Fatal(err)
	}
	cols, missing, err := h.Match([]string{"Notes", "customer_tenant_id", "AUFTRAG", "Order", "Position", "offer-id", "Quantity", ""})
	if err != nil || len(missing) != 0 {
		t.Fatalf("missing %v, err %v", missing, err)
	}
	if cols.Index != [numFields]int{1, 2, 4, 5, 6, -1, -1, -1} {
		t.Errorf("indexes = %v", cols.Index)
	}
	if strings.Join(cols.Extra, "|") != "Notes|Order|Column H" {
		t.Errorf("extras = %v (the lower-priority alias Order stays an extra column)", cols.Extra)
	}
	_, missing, _ = h.Match([]string{"Customer ID", "Order ID"})
	if len(missing) != 1 || missing[0] != FieldLine {
		t.Errorf("missing = %v", missing)
	}
	if _, _, err := h.Match([]string{"Order ID", "Customer ID", "Line", "order_id"}); err == nil || !strings.Contains(err.Error(), "(column A) and \"order_id\" (column D)") {
		t.Errorf("duplicate header: err = %v", err)
	}
	if _, err := NewHeaders(map[string][]string{"order": {"x"}}); err == nil {
		t.Error("unknown field key accepted")
	}
	// Lines by offer: an Offer ID column, or Partner Center's three ids; one
	// or two of the ids alone are ordinary columns.
	export := []string{"PartnerId", "CustomerId", "CustomerName", "OrderId", "ProductId", "SkuId", "AvailabilityId", "Quantity"}
	if cols, missing, _ := h.Match(export); len(missing) != 0 || cols.Addressing() != ByProductColumns || cols.Index[FieldLine] >= 0 ||
		strings.Join(cols.Extra, "|") != "PartnerId|CustomerName" {
		t.Errorf("the reconciliation export: missing %v, addressing %v, extras %v", missing, cols.Addressing(), cols.Extra)
	}
	if cols, missing, _ := h.Match([]string{"Customer ID", "Order ID", "Offer ID"}); len(missing) != 0 || cols.Addressing() != ByOfferColumn {
		t.Errorf("an Offer ID column names the line: missing %v", missing)
	}
	if cols, missing, _ := h.Match([]string{"Customer ID", "Order ID", "ProductId", "SkuId", "Note"}); len(missing) != 1 || strings.Join(cols.Extra, "|") != "ProductId|SkuId|Note" {
		t.Errorf("two of the three ids: missing %v, extras %v", missing, cols.Extra)
	}
	for _, header := range [][]string{
		{"Customer Tenant ID", "Order ID", "Line Item Number"},
		{"CustomerTenantId", "OrderId", "LineItemNumber"},
		{"customer_tenant_id", "order-id", "line item"},
		{"Tenant ID", "Order", "Line"},
		{" Customer ID\u00a0", "ORDER ID", "Line-Item-Number"},
	} {
		if !h.IsHeader(header) {
			t.Errorf("IsHeader(%q) = false", header)
		}
	}
}
