package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// Field is an input column the tool understands.
type Field int

// The input fields. Customer and order are required. The line is named by
// its number, or by its offer — an Offer ID column, or the ProductId, SkuId
// and AvailabilityId columns of Partner Center's reconciliation files — so a
// sheet must have one of those; it need not have the number.
const (
	FieldCustomer Field = iota
	FieldOrder
	FieldLine
	FieldOffer
	FieldQuantity
	FieldProduct
	FieldSku
	FieldAvailability
	numFields
)

// FieldKeys are the names of the fields in the config's input.columns.
var FieldKeys = [numFields]string{"customer_tenant_id", "order_id", "line_item_number", "offer_id", "expected_quantity", "product_id", "sku_id", "availability_id"}

// FieldAliases are the headers accepted for each field, in priority order:
// when a sheet has both "Order ID" and "Order", "Order ID" is the order id
// and "Order" an extra column.
var FieldAliases = [numFields][]string{
	{"Customer Tenant ID", "CustomerTenantId", "Customer ID", "Tenant ID"},
	{"Order ID", "OrderId", "Order"},
	{"Line Item Number", "LineItemNumber", "Line Item", "Line"},
	{"Offer ID", "OfferId"},
	{"Expected Quantity", "Quantity"},
	{"ProductId", "Product ID"},
	{"SkuId", "SKU ID"},
	{"AvailabilityId", "Availability ID"},
}

func (f Field) String() string { return FieldAliases[f][0] }

func (f Field) required() bool { return f == FieldCustomer || f == FieldOrder }

// Headers matches header rows against the accepted aliases of each field.
type Headers struct {
	aliases [numFields][]string // normalised, in priority order
	display [numFields][]string
}

// NewHeaders returns a matcher for the built-in aliases plus extra ones
// (config input.columns, keyed by FieldKeys), which take priority. It
// returns an error naming an unknown key.
func NewHeaders(extra map[string][]string) (*Headers, error) {
	h := &Headers{}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fieldByKey(k)
		if f < 0 {
			return nil, fmt.Errorf("unknown column %q (want one of %s)", k, strings.Join(FieldKeys[:], ", "))
		}
		for _, a := range extra[k] {
			if record.FoldHeader(a) == "" {
				return nil, fmt.Errorf("column %s: empty alias", k)
			}
			h.display[f] = append(h.display[f], a)
		}
	}
	for f := range numFields {
		h.display[f] = append(h.display[f], FieldAliases[f]...)
		for _, a := range h.display[f] {
			h.aliases[f] = append(h.aliases[f], record.FoldHeader(a))
		}
	}
	return h, nil
}

func fieldByKey(k string) Field {
	for f, key := range FieldKeys {
		if key == k {
			return Field(f)
		}
	}
	return -1
}

// Accepted lists the headers accepted for f, for error messages.
func (h *Headers) Accepted(f Field) string { return strings.Join(h.display[f], ", ") }

// Columns is the layout of a sheet: where each field is, and which columns
// are extra (copied to the report as they are).
type Columns struct {
	Index  [numFields]int // column of each field, -1 when absent
	Names  [numFields]string
	Extras []int    // columns of the extra fields, in sheet order
	Extra  []string // their headers ("Column F" for an empty one)
}

// Match finds the fields in a header row. It returns the columns and the
// required fields it did not find; err reports a header that names the same
// field twice, which would make every row ambiguous.
func (h *Headers) Match(texts []string) (Columns, []Field, error) {
	var c Columns
	norm := make([]string, len(texts))
	for i, t := range texts {
		norm[i] = record.FoldHeader(t)
	}
	used := make([]bool, len(texts))
	var missing []Field
	for f := range numFields {
		c.Index[f] = -1
		for _, a := range h.aliases[f] {
			var at []int
			for i, n := range norm {
				if n == a && !used[i] {
					at = append(at, i)
				}
			}
			if len(at) > 1 {
				return c, nil, fmt.Errorf("the header names the %s twice: %q (column %s) and %q (column %s); rename or delete one",
					strings.ToLower(f.String()), strings.TrimSpace(texts[at[0]]), sheet.ColumnName(at[0]), strings.TrimSpace(texts[at[1]]), sheet.ColumnName(at[1]))
			}
			if len(at) == 1 {
				c.Index[f], c.Names[f], used[at[0]] = at[0], strings.TrimSpace(texts[at[0]]), true
				break
			}
		}
		if c.Index[f] < 0 && f.required() {
			missing = append(missing, f)
		}
	}
	// ProductId, SkuId and AvailabilityId name an offer together; one or
	// two of them are ordinary columns, copied to the report.
	if c.Addressing() != ByProductColumns {
		for _, f := range []Field{FieldProduct, FieldSku, FieldAvailability} {
			if i := c.Index[f]; i >= 0 {
				used[i], c.Index[f], c.Names[f] = false, -1, ""
			}
		}
	}
	// Without a line number, an offer, or the three ids of one, a row could
	// only mean every line of its order: a sheet whose line column went
	// missing (renamed, deleted) must not cancel whole orders.
	if c.Index[FieldLine] < 0 && c.Addressing() == ByLineNumber {
		missing = append(missing, FieldLine)
	}
	for i, t := range texts {
		if used[i] {
			continue
		}
		name := strings.TrimSpace(t)
		if name == "" {
			name = "Column " + sheet.ColumnName(i)
		}
		c.Extras = append(c.Extras, i)
		c.Extra = append(c.Extra, name)
	}
	return c, missing, nil
}

// Addressing is how a sheet names the line of an order.
type Addressing int

// The ways a sheet names lines.
const (
	ByLineNumber     Addressing = iota // a Line Item Number column only
	ByOfferColumn                      // an Offer ID column (and maybe numbers)
	ByProductColumns                   // ProductId, SkuId and AvailabilityId (and maybe an Offer ID or numbers)
)

// Addressing says how rows of this layout name their line when the line
// number is empty: by an offer id from one column or three, or not at all.
func (c Columns) Addressing() Addressing {
	switch {
	case c.Index[FieldProduct] >= 0 && c.Index[FieldSku] >= 0 && c.Index[FieldAvailability] >= 0:
		return ByProductColumns
	case c.Index[FieldOffer] >= 0:
		return ByOfferColumn
	}
	return ByLineNumber
}

// IsHeader reports whether texts names every required field.
func (h *Headers) IsHeader(texts []string) bool {
	_, missing, err := h.Match(texts)
	return err == nil && len(missing) == 0
}

// Find returns the index of the column in texts that names field f, or -1.
func (h *Headers) Find(f Field, texts []string) int {
	for _, a := range h.aliases[f] {
		for i, t := range texts {
			if record.FoldHeader(t) == a {
				return i
			}
		}
	}
	return -1
}
