package report

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report/totals"
)

// Verification is what checking a report against its seal found.
type Verification struct {
	// Sealed is false for a report of a version that wrote no seal.
	Sealed bool
	// Keyed is true when the seal is an HMAC; KeyChecked when it was
	// checked with the key (without it, only the rows are checked).
	Keyed, KeyChecked bool
	Seal              string
	// Version, RunID, ChainID and Finished are what the Summary says.
	Version, RunID, ChainID, Finished string
	// Changes are the differences found, the first ones of each sheet.
	Changes []Change
}

// Change is a cell (or a row) that is not as the seal says.
type Change struct {
	Sheet  string
	Row    int    // the workbook's row, 0 when the row is missing
	Column string // "" for a row added or deleted
	Got    string
	Want   string
	What   string // for a row: "added", "deleted"; for the seal itself: why
}

func (c Change) String() string {
	where := c.Sheet
	if c.Row > 0 {
		where += fmt.Sprintf(" row %d", c.Row)
	}
	switch {
	case c.Column != "":
		return fmt.Sprintf("%s, %s: %s — the seal says %s", where, c.Column, shown(c.Got), shown(c.Want))
	case c.What != "":
		return where + ": " + c.What
	}
	return where
}

func shown(s string) string {
	if s == "" {
		return "(empty)"
	}
	return fmt.Sprintf("%q", s)
}

// maxChanges bounds what is reported of each sheet.
const maxChanges = 10

// sealRef is a sealed row: its digest and its place among the Seal
// sheets' rows.
type sealRef struct {
	digest [16]byte
	row    int
	seen   bool
}

// verifier holds what the Seal sheet says.
type verifier struct {
	wb      *sheet.Workbook
	path    string
	seed    maphash.Seed
	columns map[string][]string            // sheet → sealed headers
	rows    map[string]map[uint64]*sealRef // sheet → key hash → row
	meta    map[string]string              // the Summary's sealed values, by label
	v       *Verification
}

// Verify checks the report at path against its seal: every tool-owned cell
// of Lines and Orders, the Summary's facts, the Customers sheet and the
// Summary's totals (recomputed from the lines), and the seal over the Seal
// sheet — its HMAC when key is given. It returns an error only for a
// workbook that cannot be read or is no pcreconcile report.
func Verify(path string, key []byte) (*Verification, error) {
	p, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Verify(key)
}

// CheckSeal refuses the open report when its tool-owned cells are not as
// its seal says: a changed Quantity Before, Status or amount would be
// believed by whoever reads the report next. The error says how to see
// every change and, with todo ("resume from", "check"), what to do
// instead. sealed is false for a report an earlier version wrote before
// reports were sealed: nothing in it can be checked.
func (p *Prior) CheckSeal(key []byte, todo string) (sealed bool, err error) {
	v, err := p.Verify(key)
	if err != nil || !v.Sealed {
		return false, err
	}
	if len(v.Changes) > 0 {
		return true, &Error{File: p.Path, Reason: "was changed after pcreconcile wrote it: " + v.Changes[0].String(),
			Fix: todo + " the report as it was written (pcreconcile verify " + ShellQuote(p.Path) + " lists every change); a column of your own, a sort or a filter is not a change"}
	}
	return true, nil
}

// Verify checks the open report against its seal, as Verify does: a
// caller that goes on to read the report verifies what it has opened
// rather than opening it twice.
func (p *Prior) Verify(key []byte) (*Verification, error) {
	path := p.Path
	v := &Verification{Seal: p.Seal(), Version: p.Meta[LabelVersion], RunID: p.RunID(), ChainID: p.ChainID()}
	if t, err := time.Parse(time.RFC3339, canonicalCell(record.FormatTime, p.summaryRows[LabelFinished].cell)); err == nil {
		v.Finished = t.Format("2006-01-02 15:04 UTC")
	}
	if v.Seal == "" || !slices.Contains(p.wb.SheetNames(), SealSheet) {
		return v, nil
	}
	v.Sealed = true
	v.Keyed = strings.HasPrefix(v.Seal, sealHMAC)
	vf := &verifier{wb: p.wb, path: path, seed: maphash.MakeSeed(), columns: map[string][]string{}, rows: map[string]map[uint64]*sealRef{}, meta: map[string]string{}, v: v}
	if err := vf.readSeal(key); err != nil {
		return nil, err
	}
	if len(v.Changes) > 0 {
		return v, nil // the seal sheet itself is not as written: nothing it says can be trusted
	}
	vf.checkSummary(p)
	if err := vf.checkSheet(OrdersSheet, OrdersSheet, nil); err != nil {
		return nil, err
	}
	counts := totals.NewCounts(v.RunID)
	cust := totals.NewCustomerTotals(p.extra, p.Mode() == record.Plan)
	for _, name := range p.sheets {
		err := vf.checkSheet(name, LinesSheet, func(cells []sheet.Cell) {
			if l, err := p.parseLine(cells); err == nil {
				counts.AddLine(&l)
				cust.AddLine(&l)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, o := range p.Orders() {
		cust.AddOrder(o)
	}
	vf.deleted(LinesSheet)
	vf.deleted(OrdersSheet)
	if len(v.Changes) == 0 {
		// What the lines add up to, once they are as sealed.
		if err := vf.checkCustomers(p, cust); err != nil {
			return nil, err
		}
		vf.checkTotals(p, counts)
	}
	if err := vf.explain(); err != nil {
		return nil, err
	}
	return v, nil
}

func (vf *verifier) change(c Change) {
	n := 0
	for _, x := range vf.v.Changes {
		if x.Sheet == c.Sheet {
			n++
		}
	}
	if n < maxChanges {
		vf.v.Changes = append(vf.v.Changes, c)
	}
}

func (vf *verifier) hash(key string) uint64 { return maphash.String(vf.seed, key) }

// eachSealRow calls fn with each row of the Seal sheets, in order: its
// sheet and row, its place n among all of them, and its four cells.
func (vf *verifier) eachSealRow(fn func(sheet string, row, n int, c []string)) error {
	n := 0
	for i := 0; slices.Contains(vf.wb.SheetNames(), sealSheetName(i)); i++ {
		name := sealSheetName(i)
		r, err := vf.wb.Rows(name, false)
		if err != nil {
			return err
		}
		for r.Next() {
			rec := r.Record()
			if rec.Row == 1 {
				continue
			}
			c := rec.Texts()
			for len(c) < 4 {
				c = append(c, "")
			}
			n++
			fn(name, rec.Row, n, c)
		}
		err = r.Err()
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readSeal reads the Seal sheets: the sealed columns, each row's digest,
// and the seal over them, checked against the Summary's.
func (vf *verifier) readSeal(key []byte) error {
	// The seal is checked as it was made: unkeyed, or under the key.
	plain, keyed := newSealMAC(nil), newSealMAC(key)
	err := vf.eachSealRow(func(name string, row, n int, c []string) {
		sheetName, k, digest, values := c[0], c[1], c[2], c[3]
		sealLine(plain, sheetName, k, digest)
		sealLine(keyed, sheetName, k, digest)
		if rowDigest([]byte(values)) != digest {
			vf.change(Change{Sheet: name, Row: row, What: "its values do not match their digest: the seal was edited"})
			return
		}
		var vals []string
		if err := json.Unmarshal([]byte(values), &vals); err != nil {
			vf.change(Change{Sheet: name, Row: row, What: "its values cannot be read: the seal was edited"})
			return
		}
		switch {
		case k == sealHeader:
			vf.columns[sheetName] = vals
		case sheetName == SummarySheet:
			if len(vals) == 1 {
				vf.meta[k] = vals[0]
			}
		default:
			m := vf.rows[sheetName]
			if m == nil {
				m = map[uint64]*sealRef{}
				vf.rows[sheetName] = m
			}
			ref := &sealRef{row: n}
			hex.Decode(ref.digest[:], []byte(digest))
			m[vf.hash(k)] = ref
		}
	})
	if err != nil {
		return err
	}
	switch {
	case !vf.v.Keyed:
		if sealString(plain, false) != vf.v.Seal {
			vf.change(Change{Sheet: SummarySheet, What: "the seal does not match the Seal sheet: a row of it, or the seal, was edited"})
		}
	case len(key) == 0:
		// Without the key the HMAC cannot be checked; the rows still are.
	case sealString(keyed, true) != vf.v.Seal:
		vf.change(Change{Sheet: SummarySheet, What: "the seal does not match the Seal sheet under this key: it was edited, or sealed with another key"})
	default:
		vf.v.KeyChecked = true
	}
	return nil
}

// checkSummary compares the Summary's facts with the seal.
func (vf *verifier) checkSummary(p *Prior) {
	rows := p.summaryRows
	for label, want := range vf.meta {
		c, ok := rows[label]
		if !ok {
			vf.change(Change{Sheet: SummarySheet, Column: label, Want: want, What: "missing"})
			continue
		}
		if got := canonicalCell(metaFormats[label], c.cell); got != want {
			vf.change(Change{Sheet: SummarySheet, Row: c.row, Column: label, Got: got, Want: want})
		}
	}
}

// checkSheet checks each row of sheet name (sealed as sheet kind) against
// the seal; each row's cells also go to each, when set.
func (vf *verifier) checkSheet(name, kind string, each func([]sheet.Cell)) error {
	cols := vf.columns[kind]
	formats := map[string]record.Format{}
	for _, c := range record.LineTable.Sheet() {
		if kind == LinesSheet {
			formats[c.Header] = c.Format
		}
	}
	for _, c := range record.OrderTable.Sheet() {
		if kind == OrdersSheet {
			formats[c.Header] = c.Format
		}
	}
	// Lines are read typed, as a resume reads them: their cells also make
	// up the lines the Customers sheet and the totals are recomputed from.
	r, err := vf.wb.Rows(name, each != nil)
	if err != nil {
		return err
	}
	defer r.Close()
	var at []int
	vals := make([]string, len(cols))
	for r.Next() {
		rec := r.Record()
		if at == nil {
			head := rec.Texts()
			at = make([]int, len(cols))
			for i, h := range cols {
				if at[i] = slices.Index(head, h); at[i] < 0 {
					vf.change(Change{Sheet: name, Column: h, What: "the column " + h + " is missing"})
				}
			}
			continue
		}
		if each != nil {
			each(rec.Cells)
		}
		for i, h := range cols {
			vals[i] = ""
			if k := at[i]; k >= 0 && k < len(rec.Cells) {
				vals[i] = canonicalCell(formats[h], rec.Cells[k])
			}
		}
		if allEmpty(vals) {
			continue // a row the user cleared or added empty: nothing the tool wrote
		}
		var key string
		if kind == LinesSheet {
			key = lineKey(vals)
		} else {
			key = orderKey(vals)
		}
		ref := vf.rows[kind][vf.hash(key)]
		if ref == nil {
			vf.change(Change{Sheet: name, Row: rec.Row, What: "this row is not one the report was sealed with: it was added, or its key columns were changed"})
			continue
		}
		ref.seen = true
		b, _ := json.Marshal(vals)
		var got [16]byte
		hex.Decode(got[:], []byte(rowDigest(b)))
		if got != ref.digest {
			vf.change(Change{Sheet: name, Row: rec.Row, Got: string(b), Want: fmt.Sprint(ref.row), What: "changed"})
		}
	}
	return r.Err()
}

func allEmpty(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

// deleted reports the sealed rows of kind no sheet had.
func (vf *verifier) deleted(kind string) {
	var missing []int
	for _, ref := range vf.rows[kind] {
		if !ref.seen {
			missing = append(missing, ref.row)
		}
	}
	slices.Sort(missing)
	for _, row := range missing {
		vf.change(Change{Sheet: kind, Got: "", Want: fmt.Sprint(row), What: "deleted"})
	}
}

// explain names, for each changed or deleted row, the first column that
// differs and the value the seal expects, from the Seal sheet's values.
func (vf *verifier) explain() error {
	need := map[int]bool{}
	for _, c := range vf.v.Changes {
		if c.What == "changed" || c.What == "deleted" {
			var row int
			fmt.Sscan(c.Want, &row)
			need[row] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	sealed := map[int][2]string{} // seal row → sheet, values JSON
	err := vf.eachSealRow(func(_ string, _, n int, c []string) {
		if need[n] {
			sealed[n] = [2]string{c[0], c[3]}
		}
	})
	if err != nil {
		return err
	}
	for i, c := range vf.v.Changes {
		var row int
		fmt.Sscan(c.Want, &row)
		s, ok := sealed[row]
		if !ok || c.What != "changed" && c.What != "deleted" {
			continue
		}
		var want []string
		json.Unmarshal([]byte(s[1]), &want)
		cols := vf.columns[s[0]]
		if c.What == "deleted" {
			vf.v.Changes[i] = Change{Sheet: c.Sheet, What: "a sealed row is missing: " + describeRow(cols, want)}
			continue
		}
		var got []string
		json.Unmarshal([]byte(c.Got), &got)
		for k := range min(len(got), len(want), len(cols)) {
			if got[k] != want[k] {
				vf.v.Changes[i] = Change{Sheet: c.Sheet, Row: c.Row, Column: cols[k], Got: got[k], Want: want[k]}
				break
			}
		}
	}
	return nil
}

// describeRow names a sealed row by its first (key) columns.
func describeRow(cols, vals []string) string {
	var parts []string
	for i := range min(4, len(cols), len(vals)) {
		parts = append(parts, cols[i]+" "+vals[i])
	}
	return strings.Join(parts, ", ")
}

// checkCustomers compares the Customers sheet with what the sealed lines
// add up to.
func (vf *verifier) checkCustomers(p *Prior, cust *totals.CustomerTotals) error {
	want := map[string][]string{}
	for _, t := range cust.Rows() {
		var vals []string
		for _, col := range customerColumns {
			vals = append(vals, canonicalValue(col.Format, col.Get(t)))
		}
		want[t.Customer+"/"+t.Currency] = vals
	}
	if !slices.Contains(vf.wb.SheetNames(), CustomersSheet) {
		vf.change(Change{Sheet: CustomersSheet, What: "the sheet is missing"})
		return nil
	}
	r, err := vf.wb.Rows(CustomersSheet, false)
	if err != nil {
		return err
	}
	defer r.Close()
	var at []int
	headers := record.CustomerTable.Headers()
	currency := slices.Index(headers, "Currency")
	for r.Next() {
		rec := r.Record()
		if at == nil {
			head := rec.Texts()
			for _, h := range headers {
				at = append(at, slices.Index(head, h))
			}
			continue
		}
		got := make([]string, len(headers))
		for i, col := range customerColumns {
			if k := at[i]; k >= 0 && k < len(rec.Cells) {
				got[i] = canonicalCell(col.Format, rec.Cells[k])
			}
		}
		if allEmpty(got) {
			continue
		}
		k := got[0] + "/" + got[currency]
		w, ok := want[k]
		if !ok {
			vf.change(Change{Sheet: CustomersSheet, Row: rec.Row, What: "no line of the report is of this customer and currency: the row was added or changed"})
			continue
		}
		delete(want, k)
		for i := range got {
			if got[i] != w[i] {
				vf.change(Change{Sheet: CustomersSheet, Row: rec.Row, Column: headers[i], Got: got[i], Want: w[i]})
				break
			}
		}
	}
	for k := range want {
		vf.change(Change{Sheet: CustomersSheet, What: "the row of " + k + " is missing"})
	}
	return r.Err()
}

// checkTotals compares the Summary's totals with what the lines add up to.
func (vf *verifier) checkTotals(p *Prior, c *Counts) {
	want := map[string]string{
		LabelInputRows: fmt.Sprint(c.Rows.Len()), LabelLines: fmt.Sprint(c.TotalLines),
		LabelLeft: fmt.Sprint(c.Unfinished), LabelQuantity: fmt.Sprint(c.QuantityCancelled),
	}
	for _, cur := range c.Currencies() {
		if x := c.Cancelled[cur]; x != nil {
			want[fmt.Sprintf("%s (%s)", LabelAmount, cur)] = canonicalMoney(x.Amount.InexactFloat64())
		}
	}
	for label, w := range want {
		cell, ok := p.summaryRows[label]
		if !ok {
			continue // a report of a version that did not write it
		}
		f := record.FormatInt
		if strings.HasPrefix(label, LabelAmount) {
			f = record.FormatMoney
		}
		if got := canonicalCell(f, cell.cell); got != w {
			vf.change(Change{Sheet: SummarySheet, Row: cell.row, Column: label, Got: got, Want: w})
		}
	}
}
