// Package credits proves that cancellations were credited: it reads
// Partner Center's reconciliation files and matches their credit rows to
// the lines a run cancelled.
package credits

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// A reconciliation file is the invoice's detail, one row per charge, in
// columns read by name (record.FoldHeader: case, spaces, "_" and "-" do
// not count): CustomerId, OrderId, ProductId, SkuId, AvailabilityId,
// ChargeType, UnitPrice, Quantity, BillableQuantity, Subtotal, Total,
// Currency, InvoiceNumber, AlternateId, … Unknown columns are ignored,
// unknown charge types kept as they are.

// Row is a row of a reconciliation file, as far as matching needs it.
type Row struct {
	File   string // the file's name, as given
	Row    int    // the row number the user sees
	Charge string // ChargeType as written
	// Customer is the CustomerId (canonical when a GUID); Order the OrderId
	// (an order id, or the order's alternate id); AlternateID the
	// AlternateId column.
	Customer, CustomerName, Order, AlternateID string
	// Offer is ProductId:SkuId:AvailabilityId ("" when the file lacks them).
	Offer, Product string
	Invoice        string
	// Quantity is BillableQuantity, else Quantity; Amount the Subtotal,
	// else the Total (before tax is what a line's Amount Cancelled is) —
	// both signed as written.
	Quantity, Amount decimal.Decimal
	Currency         string
}

// refundCharges are the charge types of a credit, folded: one-time
// purchases' Cancel ("Refund is mapped to Cancel"), the new-commerce
// cancelImmediate, removeQuantity and customerCredit, and those seen in the
// wild.
var refundCharges = map[string]bool{
	"cancel": true, "cancelimmediate": true, "removequantity": true, "customercredit": true,
	"offsetalineitem": true, "onetimerefund": true, "refund": true, "cancelfee": true, "proratefeeswhencancel": true,
}

// Credit reports whether the row credits the partner: a refund charge type,
// or a negative amount.
func (r *Row) Credit() bool {
	return refundCharges[record.FoldHeader(r.Charge)] || r.Amount.IsNegative()
}

// File is what was read of a reconciliation file.
type File struct {
	Path, SHA256 string
	Rows         int // data rows read
	Credits      int // credit rows among them
	Invoices     []string
	// Problems are rows that could not be read (a value that is not a
	// number, …), by row: they are not matched, and said so.
	Problems []string
	// Charges counts the rows by charge type as written.
	Charges map[string]int
}

// The columns read, by field; the first header of each list that the file
// has is the one read.
var reconFields = map[string][]string{
	"customer": {"CustomerId", "Customer ID", "CustomerTenantId", "Customer Tenant ID"},
	"name":     {"CustomerName", "Customer Name"},
	"order":    {"OrderId", "Order ID"},
	"alt":      {"AlternateId", "Alternate ID"},
	"product":  {"ProductId", "Product ID"},
	"sku":      {"SkuId", "SKU ID"},
	"avail":    {"AvailabilityId", "Availability ID"},
	"pname":    {"ProductName", "Product Name", "SkuName"},
	"charge":   {"ChargeType", "Charge Type"},
	"billable": {"BillableQuantity", "Billable Quantity"},
	"quantity": {"Quantity"},
	"subtotal": {"Subtotal", "SubTotal"},
	"total":    {"Total"},
	"currency": {"Currency"},
	"invoice":  {"InvoiceNumber", "Invoice Number", "InvoiceId"},
}

// required are the fields a reconciliation file must have.
var required = []string{"customer", "order", "charge"}

// headerWithin is how far down the header row may be.
const headerWithin = 50

// maxProblems bounds the problems kept of a file.
const maxProblems = 20

// ReadRecon reads the reconciliation file at path and gives each data row
// to visit (the *Row is reused: visit copies what it keeps). A file that is no reconciliation file (no header naming
// CustomerId, OrderId and ChargeType, and a Subtotal or Total) is an error;
// a row whose amount or quantity is not a number is a problem of the file,
// not an error.
func ReadRecon(path string, opts sheet.Options, visit func(*Row) error) (*File, error) {
	f := &File{Path: path, Charges: map[string]int{}}
	sum, err := plan.FileSHA256(path)
	if err != nil {
		return nil, &sheet.Error{File: path, Reason: "cannot read the file", Err: err}
	}
	f.SHA256 = sum
	opts.IsHeader = func(texts []string) bool { _, ok := bind(texts); return ok }
	r, format, err := sheet.Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// A CSV separated by semicolons is Excel's in a country with a decimal
	// comma: its numbers are 1.234,56. An XLSX's numbers are numbers.
	comma := false
	if d, ok := r.(interface{ Delimiter() rune }); ok && format == sheet.FormatCSV {
		comma = d.Delimiter() == ';'
	}
	var at map[string]int
	invoices := map[string]bool{}
	var row Row
	for r.Next() {
		rec := r.Record()
		if at == nil {
			if a, ok := bind(rec.Texts()); ok {
				at = a
			} else if rec.Row > headerWithin {
				break
			}
			continue
		}
		if rec.Err != nil {
			f.problem(fmt.Sprintf("row %d: %v", rec.Row, rec.Err))
			continue
		}
		get := func(field string) string {
			if i, ok := at[field]; ok && i < len(rec.Cells) {
				return record.CleanText(rec.Cells[i].Text)
			}
			return ""
		}
		row = Row{File: path, Row: rec.Row, Charge: get("charge"), Customer: record.CanonicalCustomer(get("customer")), CustomerName: get("name"),
			Order: get("order"), AlternateID: get("alt"), Product: get("pname"), Invoice: get("invoice"), Currency: strings.ToUpper(get("currency"))}
		if row.Customer == "" && row.Order == "" {
			continue // a totals or note row
		}
		if p, s, a := get("product"), get("sku"), get("avail"); p != "" {
			row.Offer = p + ":" + s + ":" + a
		}
		var bad []string
		amount := get("subtotal")
		if amount == "" {
			amount = get("total")
		}
		if row.Amount, err = ParseAmount(amount, comma); err != nil {
			bad = append(bad, fmt.Sprintf("amount %q: %v", record.Clip(amount, 40), err))
		}
		qty := get("billable")
		if qty == "" {
			qty = get("quantity")
		}
		if qty != "" {
			if row.Quantity, err = ParseAmount(qty, comma); err != nil {
				bad = append(bad, fmt.Sprintf("quantity %q: %v", record.Clip(qty, 40), err))
			}
		}
		f.Rows++
		f.Charges[record.Clip(row.Charge, 60)]++
		if len(bad) > 0 {
			f.problem(fmt.Sprintf("row %d: %s", rec.Row, strings.Join(bad, "; ")))
			continue
		}
		if row.Invoice != "" && !invoices[row.Invoice] && len(invoices) < 1000 {
			invoices[row.Invoice] = true
			f.Invoices = append(f.Invoices, row.Invoice)
		}
		if row.Credit() {
			f.Credits++
		}
		if err := visit(&row); err != nil {
			return nil, err
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if at == nil {
		return nil, &sheet.Error{File: path, Reason: "is not a reconciliation file: no row in its first 50 names the columns CustomerId, OrderId, ChargeType and Subtotal or Total",
			Fix: "pass the invoice reconciliation file as downloaded from Partner Center (Billing > Invoice > reconciliation file)"}
	}
	slices.Sort(f.Invoices)
	return f, nil
}

func (f *File) problem(p string) {
	if len(f.Problems) < maxProblems {
		f.Problems = append(f.Problems, p)
	}
}

// bind finds the reconciliation columns in a header row.
func bind(texts []string) (map[string]int, bool) {
	folded := make([]string, len(texts))
	for i, t := range texts {
		folded[i] = record.FoldHeader(t)
	}
	at := map[string]int{}
	for field, names := range reconFields {
		for _, n := range names {
			if i := slices.Index(folded, record.FoldHeader(n)); i >= 0 {
				at[field] = i
				break
			}
		}
	}
	for _, f := range required {
		if _, ok := at[f]; !ok {
			return nil, false
		}
	}
	_, sub := at["subtotal"]
	_, tot := at["total"]
	return at, sub || tot
}

// ParseAmount reads an amount or a quantity as a reconciliation file
// writes it: "-94.20", "1,234.56", "(94.20)" (negative), "−94,20" and
// "1.234,56" (a decimal comma, comma true), " 94.20 " — decimal, exact.
// An empty value is 0.
func ParseAmount(s string, comma bool) (decimal.Decimal, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'', '\t':
			return -1
		case '\u2212': // the minus sign
			return '-'
		}
		return r
	}, s)
	if s == "" {
		return decimal.Zero, nil
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	dot, com := strings.LastIndex(s, "."), strings.LastIndex(s, ",")
	switch {
	case dot >= 0 && com >= 0: // both: the last one is the decimal separator
		if com > dot {
			s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
		} else {
			s = strings.ReplaceAll(s, ",", "")
		}
	case com >= 0 && comma:
		s = strings.ReplaceAll(s, ",", ".")
	case com >= 0:
		s = strings.ReplaceAll(s, ",", "") // grouping
	case dot >= 0 && comma && strings.Count(s, ".") > 1:
		s = strings.ReplaceAll(s, ".", "") // 1.234.567
	}
	if len(s) > 40 {
		return decimal.Zero, fmt.Errorf("too long for an amount")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("not a number")
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}
