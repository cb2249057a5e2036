package record

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The record of a run is written twice: to the journal (CSV, one row per
// line item, as orders finish) and to the workbook (the Lines and Orders
// sheets). Both are read back by a resume. Each schema is one table of
// columns below, used by the journal's writer and reader and by the
// workbook's writer and reader alike, so a column is added in one place.
//
// Files are read by column name, never by position: a journal or report
// written by an earlier version still resumes, with the columns it lacks
// left empty.

// Format says how the workbook shows a column and how its cells read back.
type Format uint8

// Column formats.
const (
	FormatText   Format = iota // free text; long text wraps
	FormatID                   // an identifier: text, never wrapped
	FormatInt                  // a whole number
	FormatMoney                // a decimal amount
	FormatDate                 // a date
	FormatTime                 // a date and time, in UTC
	FormatStatus               // a status word, coloured by its family
)

// Column is one field of T as the journal and the workbook hold it.
type Column[T any] struct {
	// Key names the column in the journal; "" leaves it out of the journal.
	Key string
	// Header names the column in the workbook; "" leaves it out.
	Header string
	Format Format
	// Width is the workbook column's width in characters; 0 fits the header.
	Width float64
	// Get returns the value of the field: nil for an empty cell, or a
	// string, int, int64, decimal.Decimal, time.Time or Status.
	Get func(*T) any
	// Set stores the field from its text, as Text(Get(t)) writes it; nil for
	// a column computed from others and never read back.
	Set func(*T, string) error
	// Legacy marks a column that earlier versions wrote: read, never written.
	Legacy bool
	// Optional marks a column that earlier versions did not write: a file
	// without it still reads.
	Optional bool
}

// Table is the columns of one schema, in the order they are written.
type Table[T any] []Column[T]

// Headers returns the workbook's column headers.
func (t Table[T]) Headers() []string {
	var out []string
	for _, c := range t.Sheet() {
		out = append(out, c.Header)
	}
	return out
}

// Sheet returns the columns the workbook shows, in order.
func (t Table[T]) Sheet() Table[T] {
	var out Table[T]
	for _, c := range t {
		if c.Header != "" {
			out = append(out, c)
		}
	}
	return out
}

// Journaled returns the columns the journal writes, in order.
func (t Table[T]) Journaled() Table[T] {
	var out Table[T]
	for _, c := range t {
		if c.Key != "" && !c.Legacy {
			out = append(out, c)
		}
	}
	return out
}

// Binding maps the columns of a file — a header row — to a table's
// setters, by name.
type Binding[T any] struct {
	names   []string
	set     []func(*T, string) error // by file column; nil: not read
	formats []Format
}

// BindHeaders binds a workbook header row. It returns the missing
// required columns.
func (t Table[T]) BindHeaders(head []string) (Binding[T], []string) {
	return t.bind(head, func(c Column[T]) string { return c.Header })
}

// BindKeys binds a journal header row.
func (t Table[T]) BindKeys(head []string) (Binding[T], []string) {
	return t.bind(head, func(c Column[T]) string { return c.Key })
}

func (t Table[T]) bind(head []string, name func(Column[T]) string) (Binding[T], []string) {
	b := Binding[T]{names: head, set: make([]func(*T, string) error, len(head)), formats: make([]Format, len(head))}
	at := map[string]int{}
	for i, h := range head {
		if _, dup := at[h]; !dup {
			at[h] = i
		}
	}
	var missing []string
	for _, c := range t {
		n := name(c)
		if n == "" || c.Set == nil {
			continue
		}
		i, ok := at[n]
		if !ok {
			if !c.Optional && !c.Legacy {
				missing = append(missing, n)
			}
			continue
		}
		b.set[i], b.formats[i] = c.Set, c.Format
	}
	return b, missing
}

// Format returns the format of file column i (FormatText when unbound).
func (b Binding[T]) Format(i int) Format {
	if i >= len(b.formats) {
		return FormatText
	}
	return b.formats[i]
}

// Set stores the text of file column i into v; an error names the column.
func (b Binding[T]) Set(v *T, i int, text string) error {
	if i >= len(b.set) || b.set[i] == nil {
		return nil
	}
	if err := b.set[i](v, text); err != nil {
		return fmt.Errorf("column %s: %q: %w", b.names[i], text, err)
	}
	return nil
}

// Text renders a value of Get as the journal stores it: numbers in Go
// syntax, times in RFC 3339 (UTC), nil as "".
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case Status:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case decimal.Decimal:
		return v.String()
	case time.Time:
		return TimeText(v)
	}
	panic(fmt.Sprintf("batch: no text for %T", v))
}

// The getters and setters the tables share.

func str(s string) any {
	if s == "" {
		return nil // no cell, not an empty string
	}
	return s
}

func nonZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func optional(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func money(d decimal.NullDecimal) any {
	if !d.Valid {
		return nil
	}
	return d.Decimal
}

func parseMoney(s string) (decimal.NullDecimal, error) {
	if s == "" {
		return decimal.NullDecimal{}, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.NullDecimal{}, errors.New("not an amount")
	}
	return decimal.NewNullDecimal(d), nil
}

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func setText(p *string) func(string) error {
	return func(s string) error { *p = s; return nil }
}

// parseInt reads a whole number; "" is 0. A workbook may hand back "12" as
// "12.0" or "1.2E1": any float that is whole counts.
func parseInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, errors.New("not a whole number")
	}
	return int(f), nil
}

// plainInt reads s as a whole number written as one: its own digits, no
// sign, no leading zero.
func plainInt(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == s
}

func parseOptInt(s string) (*int, error) {
	if s == "" {
		return nil, nil
	}
	n, err := parseInt(s)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// LineTable is the Lines sheet: one row per line item. The journal holds
// the same columns under their keys (customer and order are journaled once
// per order, in OrderTable).
var LineTable = Table[LineResult]{
	{Key: "source_row", Header: "Source Row", Format: FormatInt, Width: 10,
		Get: func(l *LineResult) any { return l.Row },
		Set: func(l *LineResult, s string) (err error) {
			if l.Row, err = parseInt(s); err == nil && l.Row <= 0 {
				err = errors.New("not a row number")
			}
			return err
		}},
	{Header: "Customer Tenant ID", Format: FormatID, Width: 38,
		Get: func(l *LineResult) any { return str(l.Customer) },
		Set: func(l *LineResult, s string) error { return setText(&l.Customer)(s) }},
	{Header: "Order ID", Format: FormatID, Width: 36,
		Get: func(l *LineResult) any { return str(l.Order) },
		Set: func(l *LineResult, s string) error { return setText(&l.Order)(s) }},
	{Key: "line", Header: "Line Item Number", Format: FormatInt, Width: 10,
		// A line not known as a number (a row for every line, an invalid
		// row) shows what the sheet said.
		// A number is written as a number whatever the line's status, and
		// only a number's own digits ("3", never "03") read back as one: the
		// column keeps its type across resumes, and "010" stays as typed.
		Get: func(l *LineResult) any {
			if l.Line != nil {
				return *l.Line
			}
			if n, ok := plainInt(l.LineText); ok {
				return n
			}
			return str(l.LineText)
		},
		Set: func(l *LineResult, s string) error {
			if n, ok := plainInt(s); ok {
				l.Line = &n
			} else {
				l.LineText = s
			}
			return nil
		}},
	{Key: "line_text", Legacy: true,
		Set: func(l *LineResult, s string) error {
			if s != "" {
				l.LineText = s
			}
			return nil
		}},
	{Key: "offer", Header: "Offer ID", Format: FormatID, Width: 37, // 30 capitals and digits
		Get: func(l *LineResult) any { return str(l.Offer) },
		Set: func(l *LineResult, s string) error { return setText(&l.Offer)(s) }},
	{Key: "product", Header: "Product", Format: FormatText, Width: 32,
		Get: func(l *LineResult) any { return str(l.Product) },
		Set: func(l *LineResult, s string) error { return setText(&l.Product)(s) }},
	{Key: "quantity_before", Header: "Quantity Before", Format: FormatInt, Width: 10,
		Get: func(l *LineResult) any { return optional(l.Before) },
		Set: func(l *LineResult, s string) (err error) { l.Before, err = parseOptInt(s); return err }},
	{Key: "quantity_after", Header: "Quantity After", Format: FormatInt, Width: 10,
		Get: func(l *LineResult) any { return optional(l.After) },
		Set: func(l *LineResult, s string) (err error) { l.After, err = parseOptInt(s); return err }},
	{Key: "unit_price", Header: "Unit Price", Format: FormatMoney, Width: 12, Optional: true,
		Get: func(l *LineResult) any { return money(l.UnitPrice) },
		Set: func(l *LineResult, s string) (err error) { l.UnitPrice, err = parseMoney(s); return err }},
	{Key: "currency", Header: "Currency", Format: FormatID, Width: 9, Optional: true,
		Get: func(l *LineResult) any { return str(l.Currency) },
		Set: func(l *LineResult, s string) error { return setText(&l.Currency)(s) }},
	{Header: "Amount Cancelled", Format: FormatMoney, Width: 14,
		Get: func(l *LineResult) any { return money(l.Amount()) }},
	{Key: "price_field", Optional: true,
		Get: func(l *LineResult) any { return str(l.PriceField) },
		Set: func(l *LineResult, s string) error { return setText(&l.PriceField)(s) }},
	{Key: "status", Header: "Status", Format: FormatStatus, Width: 18,
		Get: func(l *LineResult) any { return l.Status },
		Set: func(l *LineResult, s string) error {
			st, ok := ParseStatus(s)
			if !ok {
				return errors.New("unknown status")
			}
			l.Status = st
			return nil
		}},
	{Key: "line_order_status_before", Header: "Order Status Before", Format: FormatText, Width: 14,
		Get: func(l *LineResult) any { return str(l.OrderBefore) },
		Set: func(l *LineResult, s string) error { return setText(&l.OrderBefore)(s) }},
	{Key: "line_order_status_after", Header: "Order Status After", Format: FormatText, Width: 14,
		Get: func(l *LineResult) any { return str(l.OrderAfter) },
		Set: func(l *LineResult, s string) error { return setText(&l.OrderAfter)(s) }},
	{Key: "purchase_date", Header: "Purchase Date", Format: FormatDate, Width: 12,
		Get: func(l *LineResult) any { return date(l.Purchased) },
		Set: func(l *LineResult, s string) (err error) { l.Purchased, err = parseTime(s); return err }},
	{Key: "cancellable_until", Header: "Cancellable Until", Format: FormatDate, Width: 12, Optional: true,
		Get: func(l *LineResult) any { return date(l.CancellableUntil) },
		Set: func(l *LineResult, s string) (err error) { l.CancellableUntil, err = parseTime(s); return err }},
	{Key: "product_kind", Optional: true,
		Get: func(l *LineResult) any { return str(l.Kind) },
		Set: func(l *LineResult, s string) error { return setText(&l.Kind)(s) }},
	{Key: "product_kind_from", Optional: true,
		Get: func(l *LineResult) any { return str(l.KindFrom) },
		Set: func(l *LineResult, s string) error { return setText(&l.KindFrom)(s) }},
	{Key: "error_code", Header: "Error Code", Format: FormatText, Width: 12,
		Get: func(l *LineResult) any { return str(l.ErrorCode) },
		Set: func(l *LineResult, s string) error { return setText(&l.ErrorCode)(s) }},
	{Key: "error", Header: "Error Message", Format: FormatText, Width: 48,
		Get: func(l *LineResult) any { return str(l.ErrorMessage) },
		Set: func(l *LineResult, s string) error { return setText(&l.ErrorMessage)(s) }},
	{Key: "attempts", Header: "Attempts", Format: FormatInt, Width: 9,
		Get: func(l *LineResult) any { return nonZero(l.Attempts) },
		Set: func(l *LineResult, s string) (err error) { l.Attempts, err = parseInt(s); return err }},
	{Key: "request_id", Header: "Request ID", Format: FormatID, Width: 38,
		Get: func(l *LineResult) any { return str(l.RequestID) },
		Set: func(l *LineResult, s string) error { return setText(&l.RequestID)(s) }},
	{Key: "correlation_id", Header: "Correlation ID", Format: FormatID, Width: 38,
		Get: func(l *LineResult) any { return str(l.CorrelationID) },
		Set: func(l *LineResult, s string) error { return setText(&l.CorrelationID)(s) }},
	{Key: "processed_at", Header: "Processed At", Format: FormatTime, Width: 20,
		Get: func(l *LineResult) any { return date(l.ProcessedAt) },
		Set: func(l *LineResult, s string) (err error) { l.ProcessedAt, err = parseTime(s); return err }},
	{Key: "run_id", Header: "Run ID", Format: FormatID, Width: 28,
		Get: func(l *LineResult) any { return str(l.RunID) },
		Set: func(l *LineResult, s string) error { return setText(&l.RunID)(s) }},
	{Key: "expected_quantity",
		Get: func(l *LineResult) any { return optional(l.Expect) },
		Set: func(l *LineResult, s string) (err error) { l.Expect, err = parseOptInt(s); return err }},
}

// LastLineHeader is the header of the Lines sheet's last own column: the
// input's extra columns follow it, in every version of the report.
const LastLineHeader = "Run ID"

// OrderTable is the Orders sheet: one row per order. The journal repeats
// the order's columns on each of its line rows, so that a row reads on its
// own in a spreadsheet.
var OrderTable = Table[OrderResult]{
	{Key: "customer", Header: "Customer Tenant ID", Format: FormatID, Width: 38,
		Get: func(o *OrderResult) any { return str(o.Customer) },
		Set: func(o *OrderResult, s string) error { return setText(&o.Customer)(s) }},
	{Key: "order", Header: "Order ID", Format: FormatID, Width: 36,
		Get: func(o *OrderResult) any { return str(o.Order) },
		Set: func(o *OrderResult, s string) error { return setText(&o.Order)(s) }},
	{Key: "alternate_id", Header: "Alternate ID", Format: FormatID, Width: 14, Optional: true,
		Get: func(o *OrderResult) any { return str(o.AlternateID) },
		Set: func(o *OrderResult, s string) error { return setText(&o.AlternateID)(s) }},
	{Header: "Lines Requested", Format: FormatInt, Width: 10,
		Get: func(o *OrderResult) any { return len(o.Lines) }},
	{Header: "Lines Cancelled", Format: FormatInt, Width: 10,
		Get: func(o *OrderResult) any { n, _ := o.Counts(); return n }},
	{Header: "Quantity Cancelled", Format: FormatInt, Width: 10,
		Get: func(o *OrderResult) any { _, q := o.Counts(); return q }},
	{Key: "order_currency", Header: "Currency", Format: FormatID, Width: 9, Optional: true,
		Get: func(o *OrderResult) any { return str(o.Currency) },
		Set: func(o *OrderResult, s string) error { return setText(&o.Currency)(s) }},
	{Header: "Amount Cancelled", Format: FormatMoney, Width: 14,
		Get: func(o *OrderResult) any { return money(o.Amount()) }},
	{Key: "order_status_before", Header: "Order Status Before", Format: FormatText, Width: 14,
		Get: func(o *OrderResult) any { return str(o.StatusBefore) },
		Set: func(o *OrderResult, s string) error { return setText(&o.StatusBefore)(s) }},
	{Key: "order_status_after", Header: "Order Status After", Format: FormatText, Width: 14,
		Get: func(o *OrderResult) any { return str(o.StatusAfter) },
		Set: func(o *OrderResult, s string) error { return setText(&o.StatusAfter)(s) }},
	{Key: "outcome", Header: "Outcome", Format: FormatStatus, Width: 18,
		Get: func(o *OrderResult) any { return o.Outcome },
		Set: func(o *OrderResult, s string) error { return setText(&o.Outcome)(s) }},
	{Key: "http_status", Header: "HTTP Status", Format: FormatInt, Width: 8,
		Get: func(o *OrderResult) any { return nonZero(o.HTTPStatus) },
		Set: func(o *OrderResult, s string) (err error) { o.HTTPStatus, err = parseInt(s); return err }},
	{Key: "order_error_code", Header: "Error Code", Format: FormatText, Width: 12,
		Get: func(o *OrderResult) any { return str(o.ErrorCode) },
		Set: func(o *OrderResult, s string) error { return setText(&o.ErrorCode)(s) }},
	{Key: "order_error", Header: "Error Message", Format: FormatText, Width: 48,
		Get: func(o *OrderResult) any { return str(o.ErrorMessage) },
		Set: func(o *OrderResult, s string) error { return setText(&o.ErrorMessage)(s) }},
	{Key: "order_attempts", Header: "Attempts", Format: FormatInt, Width: 9,
		Get: func(o *OrderResult) any { return nonZero(o.Attempts) },
		Set: func(o *OrderResult, s string) (err error) { o.Attempts, err = parseInt(s); return err }},
	{Key: "order_request_id", Header: "Request ID", Format: FormatID, Width: 38,
		Get: func(o *OrderResult) any { return str(o.RequestID) },
		Set: func(o *OrderResult, s string) error { return setText(&o.RequestID)(s) }},
	{Key: "order_correlation_id", Header: "Correlation ID", Format: FormatID, Width: 38, Optional: true,
		Get: func(o *OrderResult) any { return str(o.CorrelationID) },
		Set: func(o *OrderResult, s string) error { return setText(&o.CorrelationID)(s) }},
	{Key: "duration_ms", Header: "Duration (ms)", Format: FormatInt, Width: 12,
		Get: func(o *OrderResult) any { return o.DurationMS },
		Set: func(o *OrderResult, s string) error {
			n, err := parseInt(s)
			o.DurationMS = int64(n)
			return err
		}},
	{Key: "auth_failed",
		Get: func(o *OrderResult) any {
			if o.AuthFailed {
				return "1"
			}
			return nil
		},
		Set: func(o *OrderResult, s string) error { o.AuthFailed = s == "1"; return nil }},
}

// CustomerTable is the Customers sheet: one row per customer and currency,
// the view a credit note is written from. It is written, never read back.
var CustomerTable = Table[CustomerTotal]{
	{Header: "Customer Tenant ID", Format: FormatID, Width: 38,
		Get: func(c *CustomerTotal) any { return str(c.Customer) }},
	{Header: "Customer Name", Format: FormatText, Width: 30,
		Get: func(c *CustomerTotal) any { return str(c.Name) }},
	{Header: "Orders", Format: FormatInt, Width: 8,
		Get: func(c *CustomerTotal) any { return c.Orders }},
	{Header: "Lines", Format: FormatInt, Width: 8,
		Get: func(c *CustomerTotal) any { return c.Lines }},
	{Header: "Lines Cancelled", Format: FormatInt, Width: 10,
		Get: func(c *CustomerTotal) any { return c.LinesCancelled }},
	{Header: "Quantity Cancelled", Format: FormatInt, Width: 10,
		Get: func(c *CustomerTotal) any { return c.QuantityCancelled }},
	{Header: "Currency", Format: FormatID, Width: 9,
		Get: func(c *CustomerTotal) any { return str(c.Currency) }},
	{Header: "Amount Cancelled", Format: FormatMoney, Width: 14,
		Get: func(c *CustomerTotal) any { return money(c.AmountCancelled) }},
	{Header: "Lines Needing Attention", Format: FormatInt, Width: 12,
		Get: func(c *CustomerTotal) any { return c.Attention }},
}
