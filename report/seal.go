package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report/book"
)

// A report is evidence: its Summary records a seal over every cell the
// tool owns, so that an edited workbook is told from one as written.
//
// The hidden Seal sheet has a row per sealed row — each line of the Lines
// sheets, each order of the Orders sheet, and the Summary's facts about the
// run — with its key (source row, customer, order and line; customer and
// order; the Summary's label), a digest, and its canonical values, so that
// a difference can be named with the value the seal expects. A "#columns"
// row per sheet lists the headers sealed: columns are found by name, so a
// sort, a filter, hidden rows, a moved column or a column of the user's
// own are not changes. Values are canonical — integers as digits, money
// rounded to 4 places, times to the second in UTC, text as is — so a
// LibreOffice or Excel re-save, which rewrites numbers and styles, is not
// a change either. The Customers sheet and the Summary's totals are not
// sealed but recomputed from the sealed lines when a report is checked:
// they are what the lines add up to.
//
// The seal is the SHA-256 of the Seal sheet's rows (sheet, key, digest),
// or, with report.seal_key_env, their HMAC-SHA256 under that key: without
// the key, anyone who read this comment can reseal an edited report; with
// it, only the key's holder can.

// Sheet and row names of the seal.
const (
	SealSheet  = "Seal"
	sealHeader = "#columns"
	// Seal strings start with their kind.
	sealSHA  = "sha256:"
	sealHMAC = "hmac-sha256:"
)

// sealed are the columns the seal covers: the tables' own.
var sealedSheets = map[string][]string{}

func init() {
	sealedSheets[LinesSheet] = record.LineTable.Headers()
	sealedSheets[OrdersSheet] = record.OrderTable.Headers()
}

// sealer writes the Seal sheets and computes the seal as the rows go by.
// Past Excel's row limit the Seal sheet continues on "Seal 2", "Seal 3",
// … as the Lines sheet does.
type sealer struct {
	f      *excelize.File
	mu     *sync.Mutex // the book's sheet-structure lock
	sheets []string
	sw     *excelize.StreamWriter
	sheet  int // the sheet being written, in sheets
	mac    hash.Hash
	keyed  bool
	row    int // the last row written on the current sheet
}

// newSealMAC is the running hash of a seal: HMAC-SHA256 under key, or
// SHA-256 without one.
func newSealMAC(key []byte) hash.Hash {
	if len(key) > 0 {
		return hmac.New(sha256.New, key)
	}
	return sha256.New()
}

// sealSheetName is the name of the n-th Seal sheet (from 0).
func sealSheetName(n int) string {
	if n == 0 {
		return SealSheet
	}
	return SealSheet + " " + strconv.Itoa(n+1)
}

// isSealSheet tells a Seal sheet's name.
func isSealSheet(name string) bool {
	if name == SealSheet {
		return true
	}
	n, ok := strings.CutPrefix(name, SealSheet+" ")
	_, err := strconv.Atoi(n)
	return ok && err == nil
}

// sealHeaders head each Seal sheet.
var sealHeaders = []any{"Sheet", "Key", "Digest", "Values"}

// newSealer starts the Seal sheets, hidden, for rows sealed rows.
func newSealer(f *excelize.File, mu *sync.Mutex, key []byte, rows int) (*sealer, error) {
	s := &sealer{f: f, mu: mu, mac: newSealMAC(key), keyed: len(key) > 0}
	per := MaxSheetRows - 1
	for n, left := 0, rows; n == 0 || left > 0; n, left = n+1, left-per {
		name := sealSheetName(n)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		// Hidden now, while every sheet is empty: SetSheetVisible reads each
		// worksheet back into memory.
		if err := f.SetSheetVisible(name, false); err != nil {
			return nil, err
		}
		if err := f.SetSheetDimension(name, "A1:D"+strconv.Itoa(1+min(max(left, 0), per))); err != nil {
			return nil, err
		}
		s.sheets = append(s.sheets, name)
	}
	return s, s.start(0)
}

// start begins writing the n-th Seal sheet.
func (s *sealer) start(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw, err := s.f.NewStreamWriter(s.sheets[n])
	if err != nil {
		return err
	}
	s.sw, s.sheet, s.row = sw, n, 1
	return sw.SetRow("A1", sealHeaders)
}

// sealRows is how many rows are sealed for lines and orders: a "#columns"
// row per sealed sheet, the Summary's facts, the Result last, each line
// and each order.
func sealRows(lines, orders int, m Meta) int {
	return 3 + len(metaFields(m)) + 1 + lines + orders
}

// columns records which headers of sheet are sealed.
func (s *sealer) columns(sheet string, headers []string) error {
	return s.add(sheet, sealHeader, headers)
}

// add seals a row of sheet.
func (s *sealer) add(sheet, key string, values []string) error {
	b, _ := json.Marshal(values)
	digest := rowDigest(b)
	sealLine(s.mac, sheet, key, digest)
	if s.row == MaxSheetRows {
		if err := s.flush(); err != nil {
			return err
		}
		if s.sheet+1 == len(s.sheets) {
			return errors.New("report: more rows to seal than were counted")
		}
		if err := s.start(s.sheet + 1); err != nil {
			return err
		}
	}
	s.row++
	return s.sw.SetRow(book.CellName(s.row), []any{sheet, key, digest, string(b)})
}

// flush finishes the current Seal sheet, under the sheet-structure lock:
// a flush rewrites the File's part maps.
func (s *sealer) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sw.Flush()
}

// sealLine adds a row of the Seal sheet to the running seal.
func sealLine(h hash.Hash, sheet, key, digest string) {
	h.Write([]byte(sheet + "\x00" + key + "\x00" + digest + "\n"))
}

// rowDigest is the digest of a row's canonical values (their JSON).
func rowDigest(values []byte) string {
	sum := sha256.Sum256(values)
	return hex.EncodeToString(sum[:16])
}

// finish flushes the Seal sheet and returns the seal.
func (s *sealer) finish() (string, error) {
	if err := s.flush(); err != nil {
		return "", err
	}
	return sealString(s.mac, s.keyed), nil
}

func sealString(mac hash.Hash, keyed bool) string {
	kind := sealSHA
	if keyed {
		kind = sealHMAC
	}
	return kind + hex.EncodeToString(mac.Sum(nil))
}

// lineValues are the canonical values of a line's sealed columns, into buf.
func lineValues(buf []string, l *record.LineResult) []string {
	buf = buf[:0]
	for _, col := range lineColumns {
		buf = append(buf, canonicalValue(col.Format, col.Get(l)))
	}
	return buf
}

// orderValues are the canonical values of an order's sealed columns.
func orderValues(buf []string, o *record.OrderResult) []string {
	buf = buf[:0]
	for _, col := range orderColumns {
		buf = append(buf, canonicalValue(col.Format, col.Get(o)))
	}
	return buf
}

// lineKey names a line of the Lines sheets by its source row, customer,
// order and line, from its canonical values in LineTable order.
func lineKey(v []string) string { return v[0] + "/" + v[1] + "/" + v[2] + "/" + v[3] }

// orderKey names a row of the Orders sheet: customer and order.
func orderKey(v []string) string { return v[0] + "/" + v[1] }

// metaField is one of the Summary's facts about the run: sealed, since
// nothing else in the workbook says it.
type metaField struct {
	label string
	value any
}

// metaFields are the Summary's facts about the run, in the order written.
func metaFields(m Meta) []metaField {
	fields := []metaField{
		{LabelVersion, m.Version}, {LabelCommandLine, m.CommandLine}, {LabelCommand, m.Mode.String()},
		{LabelEndpoint, m.Endpoint}, {LabelTenant, m.Tenant}, {LabelConfig, m.Config}, {LabelRunBy, m.RunBy},
		{LabelIdentity, m.Identity}, {LabelInput, filepath.Base(m.Input.Name)}, {LabelInputPath, m.Input.Path},
		{LabelInputSHA, m.Input.SHA256}, {LabelResumed, m.ResumedFrom}, {LabelRunID, m.RunID},
		{LabelChainID, chainOf(m)},
	}
	if m.Confirmed != "" {
		fields = append(fields, metaField{LabelConfirmed, m.Confirmed})
	}
	if p := m.Parent; p != nil {
		fields = append(fields, metaField{LabelParentRun, p.RunID}, metaField{LabelParentFile, p.Path},
			metaField{LabelParentSHA, p.SHA256}, metaField{LabelParentSeal, p.Seal})
	}
	fields = append(fields, approvalFields(m.Approval)...)
	return append(fields, metaField{LabelStarted, book.WholeSecond(m.Started.UTC())}, metaField{LabelFinished, book.WholeSecond(m.Finished.UTC())},
		metaField{LabelConcurrency, m.Concurrency}, metaField{LabelRate, m.Rate})
}

// chainOf is the chain id a report records: its own run id for a first
// link that names none.
func chainOf(m Meta) string {
	if m.ChainID != "" {
		return m.ChainID
	}
	return m.RunID
}

// sealMeta seals the Summary's facts.
func (s *sealer) sealMeta(m Meta) error {
	fields := metaFields(m)
	if err := s.columns(SummarySheet, []string{"Value"}); err != nil {
		return err
	}
	for _, f := range fields {
		if err := s.add(SummarySheet, f.label, []string{canonicalValue(metaFormat(f.value), f.value)}); err != nil {
			return err
		}
	}
	return nil
}

// result says how a run ended, for the reader of its workbook: finished
// with every line done or with lines that need attention, interrupted or
// aborted with lines left to retry, a plan that changed nothing, or a
// resume that found nothing left to do.
func result(m Meta, c *Counts) string {
	plan := m.Mode == record.Plan
	attention := 0
	for s, n := range c.Lines {
		if s.NeedsAttention(plan) {
			attention += n
		}
	}
	switch {
	case strings.HasPrefix(m.Stopped, "aborted"):
		return fmt.Sprintf("%s; %s left to retry: resume to finish", m.Stopped, lines(c.Unfinished))
	case m.Stopped == Interrupted:
		return fmt.Sprintf("interrupted: resume to finish (%s left)", lines(c.Unfinished))
	case plan:
		return fmt.Sprintf("PLAN: nothing was changed — %s would be cancelled, %s need attention", lines(c.Lines[record.WouldCancel]), lines(attention))
	case m.NothingToDo:
		return "finished: nothing was left to do — every line was finished by earlier runs of the chain"
	case attention == 0:
		return "finished: every line done"
	}
	return fmt.Sprintf("finished: %s need attention", lines(attention))
}

// metaFormats are the formats of the Summary's facts, by label.
var metaFormats = func() map[string]record.Format {
	m := map[string]record.Format{}
	for _, f := range metaFields(Meta{Parent: &record.Parent{}}) {
		m[f.label] = metaFormat(f.value)
	}
	return m
}()

// metaFormat is how a Summary value is canonical.
func metaFormat(v any) record.Format {
	switch v.(type) {
	case time.Time:
		return record.FormatTime
	case int:
		return record.FormatInt
	}
	return record.FormatText
}

// canonicalValue is the canonical form of a value a table's Get returns, as
// the cell written for it reads back: dates through Excel's serial number,
// amounts through the double Excel keeps.
func canonicalValue(f record.Format, v any) string {
	switch v := v.(type) {
	case decimal.Decimal:
		return canonicalMoney(v.InexactFloat64())
	case time.Time:
		return canonicalTime(fromSerial(book.ExcelSerial(book.WholeSecond(v))))
	}
	return record.Text(v)
}

// canonicalCell is the canonical form of a cell read back from a workbook
// (raw values), under its column's format. A cell that no longer reads as
// its format (text typed over a number) stays text: it differs.
func canonicalCell(f record.Format, c sheet.Cell) string {
	text := strings.TrimSpace(c.Text)
	if c.Kind == sheet.Empty || text == "" && c.Kind != sheet.Date {
		return ""
	}
	switch f {
	case record.FormatInt:
		if n, err := strconv.ParseFloat(text, 64); err == nil && n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return strconv.FormatInt(int64(n), 10)
		}
	case record.FormatMoney:
		if n, err := strconv.ParseFloat(text, 64); err == nil {
			return canonicalMoney(n)
		}
	case record.FormatDate, record.FormatTime:
		if c.Kind == sheet.Date {
			return canonicalTime(c.Time)
		}
		if n, err := strconv.ParseFloat(text, 64); err == nil {
			return canonicalTime(fromSerial(n))
		}
	}
	return c.Text
}

func canonicalMoney(f float64) string { return decimal.NewFromFloat(f).Round(4).String() }

func canonicalTime(t time.Time) string { return t.UTC().Round(time.Second).Format(time.RFC3339) }

// fromSerial reads Excel's serial date (days since 1899-12-30, UTC).
func fromSerial(days float64) time.Time {
	return time.Unix(0, int64((days-25569)*float64(24*time.Hour))).UTC()
}
