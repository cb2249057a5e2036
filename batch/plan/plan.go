// Package plan turns a sheet of cancellations into a plan: it finds the
// header, reads and validates every row (customer tenant ids, order ids,
// line numbers, offers, expected quantities, the user's own typed columns)
// and groups the valid rows into orders — one GET and at most one PATCH
// each. Problems with single rows are rows with a status (invalid,
// duplicate, ignored), never errors: only a sheet that cannot be used at
// all is an *Error. It sends nothing and writes nothing; `check` prints
// what it found.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// headerSearchRows is how far down the header row may be: title rows and
// notes above it are skipped.
const headerSearchRows = 20

// Typed holds a row's key values as the user typed them, for rows the
// report must show unprocessed (invalid, duplicate).
type Typed struct {
	Customer, Order, Line, Offer string
}

// Row is one input row.
type Row struct {
	Source int   // the row number the user sees
	Order  int32 // index into Plan.Orders; -1 for a row that is not processed
	Line   int32 // line item number, or allLines
	// Expect is the expected quantity, -1 when not given.
	Expect int32
	Offer  string
	// Status is Invalid or Duplicate for a row that is not processed.
	Status record.Status
	Extras []sheet.Cell
	// detail holds what few rows need; a million-row plan stays small.
	detail *rowDetail
}

type rowDetail struct {
	problems []*Error
	typed    *Typed
	prev     *record.LineResult
}

func (r *Row) d() *rowDetail {
	if r.detail == nil {
		r.detail = &rowDetail{}
	}
	return r.detail
}

// Problems are why the row is invalid or a duplicate.
func (r *Row) Problems() []*Error {
	if r.detail == nil {
		return nil
	}
	return r.detail.problems
}

// Typed holds the row's values as typed, for a row that is not processed.
func (r *Row) Typed() *Typed {
	if r.detail == nil {
		return nil
	}
	return r.detail.typed
}

// Prev is the line of an earlier run this row continues (resume): a
// retryable line to do again or, for a row that is not processed, the final
// line to carry.
func (r *Row) Prev() *record.LineResult {
	if r.detail == nil {
		return nil
	}
	return r.detail.prev
}

// Unfinished counts the lines a resume would process.
func (p *Plan) Unfinished() int {
	n := 0
	for _, o := range p.Orders {
		n += len(o.Rows)
	}
	return n
}

// SetPrev makes the row continue l, a line of an earlier run (resume).
func (r *Row) SetPrev(l *record.LineResult) { r.d().prev = l }

// AllLines reports whether the row asks for every line of its order.
func (r *Row) AllLines() bool { return r.Line == EveryLine }

// ByOffer reports whether the row names its line by offer id: the order's
// line with that offer, found when the order is read.
func (r *Row) ByOffer() bool { return r.Line == LineByOffer }

// Order is one order to process: one GET, at most one PATCH.
type Order struct {
	// Seq is the order's position in the report (its first row's place).
	Seq      int
	Customer string
	ID       string
	// Rows are indices into Plan.Rows, in sheet order.
	Rows []int32
	// Prev holds the lines of an earlier run that are final and are carried
	// into this run's report unchanged (resume). Rows name the lines to do.
	Prev []record.LineResult
	// Journaled marks an order whose record is already in the journal
	// (everything carried); the runner skips it.
	Journaled bool
	// Intent is a PATCH an interrupted run sent for this order and whose
	// answer it never recorded (resume).
	Intent   *record.OrderResult
	conflict bool
}

// Item is one entry of the report, in sheet order: an order (all its
// lines), or a row that is not processed.
type Item struct {
	Order *Order
	Row   int32 // when Order is nil
}

// Rows holds a plan's rows in fixed-size chunks: a million rows are never
// copied to grow, and never need one huge allocation.
type Rows struct {
	chunks [][]Row
	n      int
}

const rowChunk = 1 << 13

// Len returns the number of rows.
func (rs *Rows) Len() int { return rs.n }

// At returns row i.
func (rs *Rows) At(i int32) *Row { return &rs.chunks[i/rowChunk][i%rowChunk] }

// Add appends r and returns its index.
func (rs *Rows) Add(r Row) int32 {
	if rs.n%rowChunk == 0 {
		rs.chunks = append(rs.chunks, make([]Row, 0, rowChunk))
	}
	c := &rs.chunks[len(rs.chunks)-1]
	*c = append(*c, r)
	rs.n++
	return int32(rs.n - 1)
}

// All iterates over the rows in order.
func (rs *Rows) All() iter.Seq2[int32, *Row] {
	return func(yield func(int32, *Row) bool) {
		for i := range int32(rs.n) {
			if !yield(i, rs.At(i)) {
				return
			}
		}
	}
}

// Plan is the validated, grouped content of a sheet.
type Plan struct {
	Source record.Source
	// Extra are the headers of the extra columns, copied to the report.
	Extra  []string
	Rows   Rows
	Orders []*Order
	Items  []Item
	// HeaderRow is the row number of the header (0 when rebuilt from a
	// report).
	HeaderRow int
	// Columns names the sheet's columns of each field (for messages).
	Columns [numFields]string
	// Addressing is how the sheet names lines when a row gives no number.
	Addressing Addressing
	// Customers counts the distinct customers of the orders.
	Customers int
	// Carried counts the lines an earlier run finished (resume).
	Carried int
	// RetryRejected makes a resume do rejected lines again.
	RetryRejected bool
}

// ExtraWidths returns the width of the widest value of each extra column,
// in characters, as the report shows it. Rows share the cells they repeat
// from the row above; those are measured once.
func (p *Plan) ExtraWidths() []int {
	widths := make([]int, len(p.Extra))
	var last []sheet.Cell
	for _, r := range p.Rows.All() {
		if len(r.Extras) > 0 && len(last) > 0 && &r.Extras[0] == &last[0] {
			continue
		}
		last = r.Extras
		for i, c := range r.Extras {
			if i < len(widths) {
				widths[i] = max(widths[i], cellWidth(c))
			}
		}
	}
	return widths
}

// cellWidth is how many characters a cell shows: a date as yyyy-mm-dd
// (with the time when it has one), anything else as its text.
func cellWidth(c sheet.Cell) int {
	switch c.Kind {
	case sheet.Date:
		if c.Time.Equal(c.Time.Truncate(24 * time.Hour)) {
			return len("2006-01-02")
		}
		return len("2006-01-02 15:04:05")
	case sheet.Empty:
		return 0
	}
	return utf8.RuneCountInString(c.Text)
}

// Summary is what a plan asks for, before any request.
type Summary struct {
	Customers, Orders int
	// Lines counts the rows naming one line (ByOffer of them by offer id);
	// AllLineRows the rows asking for every line of an order (their lines
	// are known only after the GET).
	Lines, AllLineRows, ByOffer int
	// Ignored counts rows that ask for nothing (totals, notes).
	Ignored int
	// Quantity totals the Expected Quantity column, where given.
	Quantity, QuantityRows int
	Invalid, Duplicate     int
	// Carried counts lines an earlier run finished (resume).
	Carried int
}

// Summarize counts the plan.
func (p *Plan) Summarize() Summary {
	s := Summary{Customers: p.Customers, Carried: p.Carried}
	count := func(r *Row) {
		switch {
		case r.Status == record.Invalid:
			s.Invalid++
		case r.Status == record.Duplicate:
			s.Duplicate++
		case r.Status == record.Ignored:
			s.Ignored++
		case r.AllLines():
			s.AllLineRows++
		default:
			s.Lines++
			if r.ByOffer() {
				s.ByOffer++
			}
		}
		if r.Status == "" && r.Expect >= 0 {
			s.Quantity += int(r.Expect)
			s.QuantityRows++
		}
	}
	for _, it := range p.Items {
		if it.Order == nil {
			count(p.Rows.At(it.Row))
			continue
		}
		if len(it.Order.Rows) > 0 {
			s.Orders++
		}
		s.Carried += len(it.Order.Prev)
		for _, ri := range it.Order.Rows {
			count(p.Rows.At(ri))
		}
	}
	return s
}

// Work is what a run of the plan will do: the customers, orders and lines
// with work to do, and — for lines an earlier report priced (a plan being
// executed) — what they are worth, by currency.
type Work struct {
	Customers, Orders, Lines int
	Amounts                  map[string]decimal.Decimal
	// Unpriced counts the lines to do whose price is not known before their
	// order is read.
	Unpriced int
}

// Work counts what a run of the plan will do.
func (p *Plan) Work() Work {
	w := Work{Amounts: map[string]decimal.Decimal{}}
	customers := map[string]bool{}
	for _, o := range p.Orders {
		if len(o.Rows) == 0 || o.Journaled {
			continue
		}
		w.Orders++
		customers[record.CanonicalCustomer(o.Customer)] = true
		for _, ri := range o.Rows {
			w.Lines++
			prev := p.Rows.At(ri).Prev()
			if prev == nil || !prev.UnitPrice.Valid || prev.Before == nil {
				w.Unpriced++
				continue
			}
			w.Amounts[prev.Currency] = w.Amounts[prev.Currency].Add(prev.UnitPrice.Decimal.Mul(decimal.NewFromInt(int64(*prev.Before))))
		}
	}
	w.Customers = len(customers)
	return w
}

// Invalid returns the rows that will not be processed because something is
// wrong with them (invalid, duplicate), in sheet order.
func (p *Plan) Invalid() []*Row {
	return p.unprocessed(func(s record.Status) bool { return s != record.Ignored })
}

// Ignored returns the rows that ask for nothing (totals, notes), in sheet
// order.
func (p *Plan) Ignored() []*Row {
	return p.unprocessed(func(s record.Status) bool { return s == record.Ignored })
}

func (p *Plan) unprocessed(keep func(record.Status) bool) []*Row {
	var out []*Row
	for _, it := range p.Items {
		if r := p.Rows.At(it.Row); it.Order == nil && r.Status != "" && r.Prev() == nil && keep(r.Status) {
			out = append(out, r)
		}
	}
	return out
}

// ReadOptions configures Read.
type ReadOptions struct {
	Headers *Headers
	Sheet   string
	// Delimiter for CSV; 0 detects it.
	Delimiter rune
	// Extras keeps the extra columns (the report needs them; check does not).
	Extras bool
	// Limits bound what an XLSX file may unpack to; zero fields take
	// sheet.DefaultLimits.
	Limits sheet.Limits
}

// ReadFile reads, validates and groups the cancellations in path. A file
// that is not a usable sheet is an *Error (or a *sheet.Error from the
// reader); problems with single rows are not errors but rows with Status
// Invalid.
func ReadFile(path string, opts ReadOptions) (*Plan, error) {
	// The file is hashed while it is parsed: a second reader, mostly from
	// the page cache, on the other core.
	type digest struct {
		sum string
		err error
	}
	hashed := make(chan digest, 1)
	go func() {
		sum, err := FileSHA256(path)
		hashed <- digest{sum, err}
	}()
	r, format, err := sheet.Open(path, sheet.Options{
		Sheet:     opts.Sheet,
		Delimiter: opts.Delimiter,
		Typed:     opts.Extras,
		IsHeader:  opts.Headers.IsHeader,
		Limits:    opts.Limits,
	})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	bo := BuildOptions{Headers: opts.Headers, Extras: opts.Extras, File: path, XLSX: format == sheet.FormatXLSX}
	if fi, err := os.Stat(path); err == nil && format == sheet.FormatCSV {
		// A cancellation row is about 100 bytes; two rows an order is common.
		bo.OrdersHint = int(fi.Size() / 200)
	}
	p, err := Build(r, bo)
	if err != nil {
		return nil, err
	}
	d := <-hashed
	if d.err != nil {
		return nil, &Error{File: path, Reason: "cannot read the file", Err: d.err}
	}
	sum := d.sum
	p.Source = record.Source{Path: path, Name: path, SHA256: sum, Format: string(format), Sheet: opts.Sheet}
	if enc, ok := r.(interface{ EncodingName() string }); ok {
		p.Source.Encoding = enc.EncodingName()
	}
	return p, nil
}

// FileSHA256 returns the hex SHA-256 of the file at path, which identifies
// an input across runs.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BuildOptions configures Build.
type BuildOptions struct {
	Headers *Headers
	Extras  bool
	File    string
	// XLSX enables the checks for values Excel stored as numbers.
	XLSX bool
	// OrdersHint sizes the order index up front (growing a half-million-entry
	// map costs a tenth of the time of a large check).
	OrdersHint int
}

// builder accumulates a plan from records.
type builder struct {
	opts    BuildOptions
	p       *Plan
	cols    Columns
	byOrder map[string]int32 // order id → Plan.Orders index
	// rawCustomers maps customer ids as typed to their canonical form.
	rawCustomers map[string]string
	strings      map[string]string
	// The previous row's values: consecutive rows usually share them.
	lastRaw, lastCustomer string
	lastOrder             string
	lastIdx               int32
	lastInterned          string
	slab                  []Order
	seen                  map[lineKey]int32  // (order, line) → first row
	offers                map[offerKey]int32 // (order, offer) → first row
	header                int                // width of the header row
	width                 int                // widest data row
	conflicts             map[int32][]string
	// lastExtras are the previous row's extra cells, shared by the next row
	// when it has the same (rows of one order, repeated rows); lastDup is
	// the previous duplicate row's detail, shared the same way.
	lastExtras []sheet.Cell
	lastDup    lastDup
}

// lastDup is the previous duplicate row: the row it repeats, whether it
// asks for every line, its values as typed, and the detail it holds.
type lastDup struct {
	first  int32
	all    bool
	typed  Typed
	detail *rowDetail
}

type lineKey struct{ order, line int32 }

type offerKey struct {
	order int32
	offer string // lower case: offer ids compare without case
}

// Build reads the records of r into a plan: it finds the header row among
// the first 20 rows, validates every row after it, and groups the valid
// rows into orders.
func Build(r sheet.Reader, opts BuildOptions) (*Plan, error) {
	b := &builder{
		opts:         opts,
		p:            &Plan{},
		byOrder:      make(map[string]int32, min(opts.OrdersHint, 1<<22)),
		rawCustomers: make(map[string]string),
		strings:      make(map[string]string),
		seen:         make(map[lineKey]int32),
		offers:       make(map[offerKey]int32),
		conflicts:    make(map[int32][]string),
	}
	if err := b.findHeader(r); err != nil {
		return nil, err
	}
	if err := b.checkWidth(b.p.HeaderRow); err != nil {
		return nil, err
	}
	for r.Next() {
		rec := r.Record()
		b.widen(rec)
		if err := b.checkWidth(rec.Row); err != nil {
			return nil, err
		}
		b.add(rec)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if b.p.Rows.Len() == 0 {
		return nil, &Error{File: opts.File, Reason: fmt.Sprintf("no data rows below the header (row %d)", b.p.HeaderRow), Fix: "add one row per line item to cancel"}
	}
	b.finish()
	return b.p, nil
}

func (b *builder) findHeader(r sheet.Reader) error {
	type candidate struct {
		row     int
		found   []string
		missing []Field
	}
	var best *candidate
	for n := 0; n < headerSearchRows && r.Next(); n++ {
		rec := r.Record()
		texts := rec.Texts()
		cols, missing, err := b.opts.Headers.Match(texts)
		if err != nil {
			return &Error{File: b.opts.File, Row: rec.Row, Reason: err.Error(), Err: err}
		}
		if len(missing) == 0 {
			cols = keepQuantityColumn(cols, texts)
			b.cols, b.p.HeaderRow = cols, rec.Row
			b.p.Extra = append([]string(nil), cols.Extra...)
			b.p.Columns, b.p.Addressing = cols.Names, cols.Addressing()
			b.header, b.width = len(texts), len(texts)
			return nil
		}
		if found := 3 - len(missing); found > 0 && (best == nil || found > len(best.found)) {
			c := &candidate{row: rec.Row, missing: missing}
			for f := range FieldLine + 1 {
				if cols.Index[f] >= 0 {
					c.found = append(c.found, cols.Names[f])
				}
			}
			best = c
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if best == nil {
		return &Error{
			File:   b.opts.File,
			Reason: "no header row: none of the first 20 rows names the required columns Customer Tenant ID, Order ID and Line Item Number (or an offer)",
			Fix:    "the header must name " + b.describe(FieldCustomer) + "; " + b.describe(FieldOrder) + "; " + b.describe(FieldLine) + " (or aliases from input.columns in the config)",
		}
	}
	var names, hints []string
	for _, f := range best.missing {
		names = append(names, f.String())
		hints = append(hints, b.describe(f))
	}
	return &Error{
		File:   b.opts.File,
		Reason: fmt.Sprintf("required column %s missing: the header (row %d) names %s", strings.Join(names, " and "), best.row, strings.Join(best.found, ", ")),
		Fix:    "accepted headers: " + strings.Join(hints, "; "),
	}
}

// rowError is a problem with the row numbered row.
func (b *builder) rowError(row int, column, value, reason string) *Error {
	cut := 0
	if len(value) > maxShown {
		cut, value = utf8.RuneCountInString(value), strings.Clone(record.Clip(value, maxShown))
	}
	return &Error{File: b.opts.File, Row: row, Column: column, Value: value, Cut: cut, Reason: reason}
}

func (b *builder) describe(f Field) string {
	d := f.String() + ": " + b.opts.Headers.Accepted(f)
	if f == FieldLine {
		d += " — or, to name lines by offer, an Offer ID column (" + b.opts.Headers.Accepted(FieldOffer) + "), or ProductId, SkuId and AvailabilityId"
	}
	return d
}

// keepQuantityColumn copies the Expected Quantity column into the report
// like an extra column: the user sees what they expected beside Quantity
// Before, and a resume from the report checks it again.
func keepQuantityColumn(c Columns, texts []string) Columns {
	q := c.Index[FieldQuantity]
	if q < 0 {
		return c
	}
	at := len(c.Extras)
	for i, e := range c.Extras {
		if e > q {
			at = i
			break
		}
	}
	c.Extras = slices.Insert(c.Extras, at, q)
	c.Extra = slices.Insert(c.Extra, at, strings.TrimSpace(texts[q]))
	return c
}

// cell returns the text of field f in rec.
func (b *builder) cell(rec sheet.Record, f Field) string {
	i := b.cols.Index[f]
	if i < 0 || i >= len(rec.Cells) {
		return ""
	}
	return rec.Cells[i].Text
}

func (b *builder) add(rec sheet.Record) {
	p := b.p
	row := Row{Source: rec.Row, Order: -1, Line: EveryLine, Expect: -1}
	if b.opts.Extras {
		row.Extras = b.extras(rec)
	}
	typed := Typed{
		Customer: b.cell(rec, FieldCustomer),
		Order:    b.cell(rec, FieldOrder),
		Line:     b.cell(rec, FieldLine),
		Offer:    b.cell(rec, FieldOffer),
	}
	var problems []*Error
	problem := func(f Field, value string, err error) {
		problems = append(problems, b.rowError(rec.Row, b.cols.Names[f], value, err.Error()))
	}
	parts := [3]string{b.cell(rec, FieldProduct), b.cell(rec, FieldSku), b.cell(rec, FieldAvailability)}
	if b.isNote(typed, parts) {
		// A totals or note row: it has content, but asks for nothing.
		row.Status = record.Ignored
		row.d().typed = cloneTyped(typed)
		row.d().problems = []*Error{b.rowError(rec.Row, "", "", "ignored: no customer, order, line or offer — a totals or note row asks for nothing")}
		p.Rows.Add(row)
		return
	}
	if typed.Offer == "" && b.cols.Addressing() == ByProductColumns {
		offer, err := joinOffer(parts)
		if err != nil {
			problem(FieldProduct, strings.Join(parts[:], ":"), err)
		}
		typed.Offer = offer
	}
	if rec.Err != nil {
		problems = append(problems, b.rowError(rec.Row, "", "", rec.Err.Error()))
	}
	for _, c := range rec.Cells {
		if len(c.Text) > maxCellChars {
			problems = append(problems, b.rowError(rec.Row, "", "", fmt.Sprintf("a value is longer than %d characters", maxCellChars)))
			break
		}
	}
	customer, err := b.customer(typed.Customer)
	if err != nil {
		problem(FieldCustomer, typed.Customer, err)
	}
	orderID, err := parseOrderID(typed.Order, b.opts.XLSX)
	if err != nil {
		problem(FieldOrder, typed.Order, err)
	}
	row.Offer = b.intern(record.CleanText(typed.Offer))
	if len(row.Offer) > 128 {
		problem(FieldOffer, typed.Offer, errors.New("is longer than 128 characters"))
	}
	if line, err := parseLine(typed.Line); err != nil {
		problem(FieldLine, typed.Line, err)
	} else {
		row.Line = int32(line)
		if record.CleanText(typed.Line) == "" && row.Offer != "" {
			row.Line = LineByOffer // the order's line with that offer, found when it is read
		}
	}
	if b.cols.Index[FieldQuantity] >= 0 {
		if q := b.cell(rec, FieldQuantity); record.CleanText(q) != "" {
			n, err := ParseCount(q)
			if err != nil {
				problem(FieldQuantity, q, err)
			} else {
				row.Expect = int32(n)
			}
		}
	}
	if len(problems) > 0 {
		row.Status = record.Invalid
		row.d().typed, row.d().problems = cloneTyped(typed), problems
		p.Rows.Add(row)
		return
	}

	idx, ok := b.lastIdx, orderID == b.lastOrder && b.lastOrder != ""
	if !ok {
		idx, ok = b.byOrder[orderID]
	}
	if !ok {
		orderID = strings.Clone(orderID)
		idx = int32(len(p.Orders))
		p.Orders = append(p.Orders, b.newOrder(customer, orderID))
		b.byOrder[orderID] = idx
	}
	b.lastOrder, b.lastIdx = p.Orders[idx].ID, idx
	o := p.Orders[idx]
	rowIdx := int32(p.Rows.Len())
	if o.Customer != customer {
		// Both customers' rows become invalid in finish.
		if !o.conflict {
			o.conflict = true
			b.conflicts[idx] = []string{fmt.Sprintf("%s (row %d)", o.Customer, p.Rows.At(o.Rows[0]).Source)}
		}
		b.conflicts[idx] = append(b.conflicts[idx], fmt.Sprintf("%s (row %d)", customer, rec.Row))
	} else if first, dup := b.duplicateOf(o, idx, &row); dup {
		row.Status = record.Duplicate
		// A row repeated many times shares one detail: its values as typed
		// and why it is a duplicate are the same for every copy.
		if last := &b.lastDup; last.detail != nil && last.first == first && last.all == row.AllLines() && last.typed == typed {
			row.detail = last.detail
		} else {
			what := p.Rows.At(first).asks()
			if row.AllLines() {
				what = "every line"
			}
			row.d().typed = cloneTyped(typed)
			row.d().problems = []*Error{b.rowError(rec.Row, "", "", fmt.Sprintf("duplicate: row %d already asks to cancel %s of order %s", p.Rows.At(first).Source, what, o.ID))}
			*last = lastDup{first, row.AllLines(), *row.detail.typed, row.detail}
		}
		p.Rows.Add(row)
		return
	}
	row.Order = idx
	if o.conflict {
		row.d().typed = cloneTyped(typed)
	}
	o.Rows = append(o.Rows, rowIdx)
	p.Rows.Add(row)
	switch n := len(o.Rows); {
	case n == smallOrder+1:
		for _, ri := range o.Rows {
			b.remember(idx, ri)
		}
	case n > smallOrder+1:
		b.remember(idx, rowIdx)
	}
}

// isNote reports a row that asks for nothing: no customer, order, line,
// offer or product cell — a totals row, a note under the list. (A row with
// no content at all never gets here: the readers skip it.)
func (b *builder) isNote(t Typed, parts [3]string) bool {
	// No slice of the values: this runs for every row of a million.
	blank := func(v string) bool { return v == "" || record.CleanText(v) == "" }
	return blank(t.Customer) && blank(t.Order) && blank(t.Line) && blank(t.Offer) &&
		blank(parts[0]) && blank(parts[1]) && blank(parts[2])
}

// joinOffer makes the offer id ProductId:SkuId:AvailabilityId from the
// three ids of a reconciliation file. A SkuId Excel has stored as a number
// ("3" for "0003") gets its leading zeros back: SKU ids have four
// characters.
func joinOffer(parts [3]string) (string, error) {
	var empty []string
	for i, p := range parts {
		parts[i] = record.CleanText(p)
		if parts[i] == "" {
			empty = append(empty, FieldAliases[FieldProduct+Field(i)][0])
		}
	}
	switch {
	case len(empty) == 3:
		return "", nil
	case len(empty) > 0:
		return "", fmt.Errorf("is not an offer: %s %s empty (an offer needs ProductId, SkuId and AvailabilityId)", strings.Join(empty, " and "), map[bool]string{true: "is", false: "are"}[len(empty) == 1])
	}
	if sku := parts[1]; len(sku) < 4 && allDigits(sku) {
		parts[1] = strings.Repeat("0", 4-len(sku)) + sku
	}
	return strings.Join(parts[:], ":"), nil
}

// customer returns the canonical form of a customer tenant id, parsing each
// distinct spelling once: a sheet names a few thousand customers a million
// times.
func (b *builder) customer(raw string) (string, error) {
	if raw == b.lastRaw && raw != "" {
		return b.lastCustomer, nil // rows of a customer usually come together
	}
	c, ok := b.rawCustomers[raw]
	if !ok {
		var err error
		if c, err = record.ParseGUID(raw); err != nil {
			return "", err
		}
		c = b.intern(c)
		if len(b.rawCustomers) < 1<<16 {
			raw = strings.Clone(raw)
			b.rawCustomers[raw] = c
		}
	}
	b.lastRaw, b.lastCustomer = raw, c
	return c, nil
}

// newOrder allocates orders in slabs: half a million orders are a few
// hundred allocations, not half a million.
func (b *builder) newOrder(customer, id string) *Order {
	if len(b.slab) == cap(b.slab) {
		b.slab = make([]Order, 0, 1024)
	}
	b.slab = append(b.slab, Order{Customer: customer, ID: id})
	return &b.slab[len(b.slab)-1]
}

// intern returns one shared copy of s (offer ids and customers repeat).
func (b *builder) intern(s string) string {
	if s == "" {
		return ""
	}
	if s == b.lastInterned {
		return b.lastInterned
	}
	if c, ok := b.strings[s]; ok {
		b.lastInterned = c
		return c
	}
	c := strings.Clone(s)
	if len(b.strings) < 1<<18 {
		b.strings[c] = c
	}
	return c
}

// smallOrder is how many rows of an order are searched one by one before
// the order's lines go into the index.
const smallOrder = 16

// duplicateOf reports whether the line row names in order o (at idx) was
// already named, and by which row. After an every-line row, any row of the
// order is a duplicate; an every-line row after single lines takes the lines
// no earlier row names; two rows naming the same offer name the same line.
// (A row by offer and a row by number that turn out to be the same line
// are found when the order is read.)
func (b *builder) duplicateOf(o *Order, idx int32, row *Row) (int32, bool) {
	if len(o.Rows) <= smallOrder {
		for _, ri := range o.Rows {
			if r := b.p.Rows.At(ri); r.AllLines() || (!row.AllLines() && r.sameLine(row)) {
				return ri, true
			}
		}
		return 0, false
	}
	if first, ok := b.seen[lineKey{idx, EveryLine}]; ok {
		return first, true
	}
	switch {
	case row.AllLines():
		return 0, false
	case row.ByOffer():
		first, ok := b.offers[offerKey{idx, strings.ToLower(row.Offer)}]
		return first, ok
	}
	first, ok := b.seen[lineKey{idx, row.Line}]
	return first, ok
}

// remember indexes row ri of order idx for duplicateOf.
func (b *builder) remember(idx, ri int32) {
	if r := b.p.Rows.At(ri); r.ByOffer() {
		b.offers[offerKey{idx, strings.ToLower(r.Offer)}] = ri
	} else {
		b.seen[lineKey{idx, r.Line}] = ri
	}
}

// sameLine reports whether two rows name the same line by the same means:
// the same number, or the same offer.
func (r *Row) sameLine(other *Row) bool {
	if r.ByOffer() || other.ByOffer() {
		return r.ByOffer() && other.ByOffer() && SameOffer(r.Offer, other.Offer)
	}
	return r.Line == other.Line
}

// asks says which line the row asks to cancel, for messages.
func (r *Row) asks() string {
	switch {
	case r.AllLines():
		return "every line"
	case r.ByOffer():
		return "the line with offer " + r.Offer
	}
	return fmt.Sprintf("line %d", r.Line)
}

// cloneTyped keeps a row's key values, each cut at what a cell holds (the
// row is invalid if one was longer).
func cloneTyped(t Typed) *Typed {
	keep := func(s string) string { return strings.Clone(record.Clip(s, maxCellChars)) }
	return &Typed{keep(t.Customer), keep(t.Order), keep(t.Line), keep(t.Offer)}
}

// MaxExtraColumns is how many extra columns the report's Lines sheet can
// hold after its own: Excel's 16,384 columns less the sheet's own.
var MaxExtraColumns = 16384 - len(record.LineTable.Sheet())

// widen names the columns beyond the header's width in which rec holds data
// ("Column X"): they are extra columns too.
func (b *builder) widen(rec sheet.Record) {
	for b.width < len(rec.Cells) && len(b.p.Extra) <= MaxExtraColumns {
		b.p.Extra = append(b.p.Extra, "Column "+sheet.ColumnName(b.width))
		b.width++
	}
}

// checkWidth refuses a sheet with more extra columns than the report can
// hold — before any request, not when the report is written after the run.
func (b *builder) checkWidth(row int) error {
	if len(b.p.Extra) <= MaxExtraColumns {
		return nil
	}
	return &Error{
		File:   b.opts.File,
		Reason: fmt.Sprintf("row %d has data in more columns than the report can copy: an Excel sheet holds 16,384 columns, and the report's Lines sheet needs %d of them for its own", row, 16384-MaxExtraColumns),
		Fix:    "delete the columns you do not need in the report, or keep only Customer Tenant ID, Order ID and Line Item Number",
	}
}

// extras copies the cells of the extra columns, and of any column beyond
// the header's width that holds data (named by widen).
// extras returns the row's extra cells. A row whose extra cells are those
// of the row before shares them (they are never changed in place but by
// typing, which leaves a typed cell as it is), and a cell equal to the one
// above it shares its text: rows of one order, and repeated rows, hold
// their values once.
func (b *builder) extras(rec sheet.Record) []sheet.Cell {
	n := len(b.cols.Extras) + max(0, len(rec.Cells)-b.header)
	prev := b.lastExtras
	if len(prev) != n {
		prev = nil
	}
	out := make([]sheet.Cell, 0, n)
	same := prev != nil
	keep := func(i int) {
		var c sheet.Cell
		if i < len(rec.Cells) {
			c = rec.Cells[i]
		}
		k := len(out)
		switch {
		case prev != nil && prev[k].Text == c.Text:
			c.Text = prev[k].Text
		case len(c.Text) > maxCellChars:
			// A cell holds no more; the row is invalid for it.
			c.Text = strings.Clone(record.Clip(c.Text, maxCellChars))
		default:
			c.Text = strings.Clone(c.Text)
		}
		same = same && prev[k] == c
		out = append(out, c)
	}
	for _, i := range b.cols.Extras {
		keep(i)
	}
	for i := b.header; i < len(rec.Cells); i++ {
		keep(i)
	}
	if same {
		return prev
	}
	b.lastExtras = out
	return out
}

// finish resolves orders named under two customers and lays out the items.
func (b *builder) finish() {
	p := b.p
	for idx, who := range b.conflicts {
		o := p.Orders[idx]
		reason := fmt.Sprintf("order %s appears under more than one customer: %s; fix the customer or the order id", o.ID, strings.Join(who, " and "))
		for _, ri := range o.Rows {
			r := p.Rows.At(ri)
			if r.Typed() == nil {
				line := "*"
				if !r.AllLines() {
					line = fmt.Sprint(r.Line)
				}
				r.d().typed = &Typed{Customer: o.Customer, Order: o.ID, Line: line, Offer: r.Offer}
			}
			r.Status, r.Order = record.Invalid, -1
			r.d().problems = append(r.d().problems, b.rowError(r.Source, b.cols.Names[FieldOrder], o.ID, reason))
		}
		o.Rows = nil
	}
	// Drop the conflicting orders and renumber the rest.
	kept := p.Orders[:0]
	remap := make([]int32, len(p.Orders))
	customers := map[string]bool{}
	for i, o := range p.Orders {
		remap[i] = -1
		if !o.conflict {
			remap[i] = int32(len(kept))
			kept = append(kept, o)
			customers[o.Customer] = true
		}
	}
	clear(p.Orders[len(kept):])
	p.Orders = kept
	p.Customers = len(customers)
	for _, r := range p.Rows.All() {
		if r.Order >= 0 {
			r.Order = remap[r.Order]
		}
	}
	if b.opts.Extras && !b.opts.XLSX {
		p.typeExtras()
	}
	p.layout()
}

// ordered counts the rows that belong to an order.
func (p *Plan) ordered() int {
	n := 0
	for _, o := range p.Orders {
		n += len(o.Rows)
	}
	return n
}

// layout puts the items in sheet order: each order at its first row, each
// unprocessed row at its own place.
func (p *Plan) layout() {
	p.Items = slices.Grow(p.Items[:0], len(p.Orders)+p.Rows.Len()-p.ordered())
	placed := make([]bool, len(p.Orders))
	for i, r := range p.Rows.All() {
		if r.Order < 0 {
			p.Items = append(p.Items, Item{Row: i})
			continue
		}
		if !placed[r.Order] {
			placed[r.Order] = true
			o := p.Orders[r.Order]
			o.Seq = len(p.Items)
			p.Items = append(p.Items, Item{Order: o})
		}
	}
}
