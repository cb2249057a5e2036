package journal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// JournalVersion is the format version written in every journal header.
// Version 2 journals (positional columns of the same names) still resume:
// columns are read by name. Version 4 added the running checksum (the
// "chain" column); journals of versions 2 and 3 resume without one.
const Version = 4

// Header is the first line of a journal: what run it belongs to and
// where its input came from, so that `run --resume` can rebuild the plan.
type Header struct {
	Kind    string `json:"kind"` // "header"
	Version int    `json:"version"`
	RunID   string `json:"runId"`
	// ChainID is the run id of the chain's first link ("" in journals of
	// earlier versions: the run is then a chain of its own); Parent the
	// link this run continued.
	ChainID string         `json:"chainId,omitempty"`
	Parent  *record.Parent `json:"parent,omitempty"`
	// Approval is the signed-off plan the chain executes, if it does.
	Approval *record.Approval `json:"approval,omitempty"`
	Mode     record.Mode      `json:"command"`
	Source   record.Source    `json:"source"`
	// Input is the original input when Source is an earlier report.
	Input       record.Source `json:"input,omitzero"`
	Report      string        `json:"report"`
	ResumedFrom string        `json:"resumedFrom,omitempty"`
	Endpoint    string        `json:"endpoint"`
	Sandbox     bool          `json:"sandbox,omitempty"`
	// Tenant is the partner tenant the run acted for; Config the config file
	// it used ("" for none), which a resume must use again.
	Tenant  string    `json:"tenant,omitempty"`
	Config  string    `json:"config,omitempty"`
	Started time.Time `json:"started"`
}

// Journal is the append-only record of a run (see the package comment for
// the format). It is safe for concurrent appends.
//
// (CSV rather than JSON lines because a million-line report reads every
// record back: encoding/csv decodes them about ten times faster.)
type Journal struct {
	path   string
	layout *journalLayout
	mu     sync.Mutex
	f      *os.File
	end    int64
	// Where each order's latest record of each kind is, by order Seq. A
	// million-line run has half a million outcomes: their index holds no
	// pointers, so the garbage collector never scans it.
	at      map[int]span
	intents map[int]span
	priors  map[int]span
	sync    bool
	// chain is the last row's checksum, continued by the next row written.
	chain [chainBytes]byte
}

// chainBytes is how much of each row's SHA-256 the chain keeps.
const chainBytes = 16

// chainNext is the checksum of a row whose bytes (without the checksum
// field and the newline) are row, after a row whose checksum was prev.
func chainNext(prev [chainBytes]byte, row []byte) [chainBytes]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(row)
	var next [chainBytes]byte
	copy(next[:], h.Sum(nil))
	return next
}

// chainSeed starts the chain from the journal's first two lines, so that
// an edited header breaks it too.
func chainSeed(header []byte) [chainBytes]byte {
	return chainNext([chainBytes]byte{}, header)
}

// span is a block of the file and how many rows it has.
type span struct {
	off     int64
	n, rows int32
}

// Kind is what a record (a block of rows) records.
type Kind string

const (
	KindOutcome Kind = ""
	KindIntent  Kind = "intent"
	KindPrior   Kind = "prior"
)

const journalMagic = "#pcreconcile-journal "

// Path is where the journal of a report lives: beside it.
func Path(report string) string { return report + ".journal" }

// A journal row is the block's place (seq, rows, index) and kind, the
// order's columns (OrderTable), the line's (LineTable), and the input's
// extra cells from the column named "extras" on.
var journalColumns = func() []string {
	cols := []string{"seq", "rows", "index", "kind"}
	for _, c := range record.OrderTable.Journaled() {
		cols = append(cols, c.Key)
	}
	for _, c := range record.LineTable.Journaled() {
		cols = append(cols, c.Key)
	}
	return append(cols, "extras", "chain")
}()

// journalLayout is where a journal's header row puts each column.
type journalLayout struct {
	order record.Binding[record.OrderResult]
	line  record.Binding[record.LineResult]
	kind  int // index of the kind column; -1 in version 2 (outcomes only)
	// verbatim is true for version 2, which wrote cells as they were.
	verbatim bool
	// extras is the index of the column named "extras": the input's extra
	// cells start there.
	extras int
	// chained is true from version 4: the last cell of every row is the
	// running checksum.
	chained bool
}

// newLayout binds a journal's header row, by name.
func newLayout(cols []string) (*journalLayout, error) {
	if len(cols) < 4 || cols[0] != "seq" || cols[1] != "rows" || cols[2] != "index" {
		return nil, errors.New("the journal's columns are not a journal's")
	}
	l := &journalLayout{extras: len(cols), kind: slices.Index(cols, "kind")}
	l.verbatim = l.kind < 0
	if l.chained = cols[len(cols)-1] == "chain"; l.chained {
		cols = cols[:len(cols)-1]
	}
	if i := slices.Index(cols, "extras"); i >= 0 {
		l.extras = i
	}
	var m1, m2 []string
	l.order, m1 = record.OrderTable.BindKeys(cols[:l.extras])
	l.line, m2 = record.LineTable.BindKeys(cols[:l.extras])
	if missing := append(m1, m2...); len(missing) > 0 {
		return nil, fmt.Errorf("the journal lacks the columns %s", strings.Join(missing, ", "))
	}
	return l, nil
}

var currentLayout = func() *journalLayout {
	l, err := newLayout(journalColumns)
	if err != nil {
		panic(err)
	}
	return l
}()

// Create starts a new journal at path with header h; it fails if the
// file exists.
func Create(path string, h Header) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	h.Kind, h.Version = "header", Version
	hb, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(journalMagic)
	buf.Write(hb)
	buf.WriteByte('\n')
	w := csv.NewWriter(&buf)
	w.Write(journalColumns)
	w.Flush()
	j := openedJournal(path, currentLayout, f)
	j.chain = chainSeed(buf.Bytes())
	if err := j.write(buf.Bytes()); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	syncDir(filepath.Dir(path))
	return j, nil
}

func openedJournal(path string, layout *journalLayout, f *os.File) *Journal {
	return &Journal{path: path, layout: layout, f: f, at: map[int]span{}, intents: map[int]span{}, priors: map[int]span{}, sync: true}
}

// Chain is the chain id of a journal with header h.
func (h Header) Chain() string {
	if h.ChainID != "" {
		return h.ChainID
	}
	return h.RunID
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

func (j *Journal) write(b []byte) error {
	if _, err := j.f.WriteAt(b, j.end); err != nil {
		return err
	}
	if j.sync {
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	j.end += int64(len(b))
	return nil
}

// Append records a finished order. It returns only when the record is on
// disk.
func (j *Journal) Append(r *record.OrderResult) error {
	return j.AppendCarried([]*record.OrderResult{r})
}

// AppendCarried records orders — finished by this run or carried from an
// earlier one — with one write and one fsync for all of them.
func (j *Journal) AppendCarried(rs []*record.OrderResult) error { return j.append(KindOutcome, rs) }

// AppendIntent records, before the PATCH is sent, that the order's lines
// in r are about to be cancelled with r.RequestID: with their quantities and
// prices before, so that a resume can tell what that PATCH cancelled if the
// process dies before its answer is recorded.
func (j *Journal) AppendIntent(r *record.OrderResult) error {
	return j.append(KindIntent, []*record.OrderResult{r})
}

// AppendPrior records earlier runs' records of orders this run does again.
func (j *Journal) AppendPrior(rs []*record.OrderResult) error { return j.append(KindPrior, rs) }

func (j *Journal) append(kind Kind, rs []*record.OrderResult) error {
	// The rows are encoded first; their checksums, which continue the
	// chain of whatever was written before, under the lock.
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	ends := make([]int, 0, len(rs))
	row := make([]string, len(journalColumns))
	for _, r := range rs {
		if len(r.Lines) == 0 {
			return fmt.Errorf("journal: order %s has no lines", r.Order)
		}
		for k := range r.Lines {
			w.Write(encodeRow(row[:0], kind, r, k, len(r.Lines)))
			w.Flush()
			ends = append(ends, buf.Len())
		}
	}
	if err := w.Error(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	prev := j.chain
	out := make([]byte, 0, buf.Len()+len(ends)*(2*chainBytes+1))
	blocks := make([]int64, len(rs)+1)
	start, n := 0, 0
	for i, r := range rs {
		blocks[i] = int64(len(out))
		for range r.Lines {
			line := buf.Bytes()[start : ends[n]-1] // without its newline
			j.chain = chainNext(j.chain, line)
			out = append(out, line...)
			out = append(out, ',')
			out = hex.AppendEncode(out, j.chain[:])
			out = append(out, '\n')
			start = ends[n]
			n++
		}
	}
	blocks[len(rs)] = int64(len(out))
	for i := range rs {
		if blocks[i+1]-blocks[i] > math.MaxInt32 {
			j.chain = prev
			return fmt.Errorf("journal: the record of order %s is larger than 2 GB", rs[i].Order)
		}
	}
	base := j.end
	if err := j.write(out); err != nil {
		j.chain = prev
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	for i, r := range rs {
		j.index(r.Seq, kind, span{base + blocks[i], int32(blocks[i+1] - blocks[i]), int32(len(r.Lines))})
	}
	return nil
}

// index notes where the latest record of a kind of an order is.
func (j *Journal) index(seq int, kind Kind, at span) {
	switch kind {
	case KindIntent:
		j.intents[seq] = at
	case KindPrior:
		j.priors[seq] = at
	default:
		j.at[seq] = at
	}
}

// encodeRow renders line k of r as a journal row of a record of kind.
func encodeRow(row []string, kind Kind, r *record.OrderResult, k, n int) []string {
	l := &r.Lines[k]
	row = append(row, strconv.Itoa(r.Seq), strconv.Itoa(n), strconv.Itoa(k), string(kind))
	for _, c := range orderJournal {
		row = append(row, record.AsText(record.Text(c.Get(r))))
	}
	for _, c := range lineJournal {
		row = append(row, record.AsText(record.Text(c.Get(l))))
	}
	for _, c := range l.Extras {
		row = append(row, record.AsText(encodeCell(c)))
	}
	return row
}

var (
	orderJournal = record.OrderTable.Journaled()
	lineJournal  = record.LineTable.Journaled()
)

// encodeCell writes a typed cell as "T:text", "N:1234.5|format",
// "B:TRUE", "D:<RFC 3339>|shown|format", or "" for an empty one.
func encodeCell(c sheet.Cell) string {
	switch c.Kind {
	case sheet.Text:
		return "T:" + c.Text
	case sheet.Number:
		n := c.Text
		if n == "" {
			n = strconv.FormatFloat(c.Num, 'g', -1, 64)
		}
		if c.Format != "" {
			n += "|" + c.Format
		}
		return "N:" + n
	case sheet.Bool:
		return "B:" + c.Text
	case sheet.Date:
		return "D:" + c.Time.UTC().Format(time.RFC3339Nano) + "|" + c.Text + "|" + c.Format
	}
	return ""
}

func decodeCell(s string) (sheet.Cell, error) {
	if s == "" {
		return sheet.Cell{}, nil
	}
	if len(s) < 2 || s[1] != ':' {
		return sheet.Cell{}, fmt.Errorf("bad extra cell %q", s)
	}
	v := s[2:]
	switch s[0] {
	case 'T':
		return sheet.Cell{Kind: sheet.Text, Text: v}, nil
	case 'N':
		text, format, _ := strings.Cut(v, "|")
		n, err := strconv.ParseFloat(text, 64)
		return sheet.Cell{Kind: sheet.Number, Text: text, Num: n, Format: format}, err
	case 'B':
		num := 0.0
		if v == "TRUE" {
			num = 1
		}
		return sheet.Cell{Kind: sheet.Bool, Text: v, Num: num}, nil
	case 'D':
		// The format is last; a version 2 journal wrote none.
		when, shown, _ := strings.Cut(v, "|")
		format := ""
		if i := strings.LastIndexByte(shown, '|'); i >= 0 {
			shown, format = shown[:i], shown[i+1:]
		}
		t, err := time.Parse(time.RFC3339Nano, when)
		return sheet.Cell{Kind: sheet.Date, Time: t, Text: shown, Format: format}, err
	}
	return sheet.Cell{}, fmt.Errorf("bad extra cell %q", s)
}

// blockBufs recycles the buffers records are read into (decodeBlock copies
// what it keeps).
var blockBufs = sync.Pool{New: func() any { return new([]byte) }}

// blockReaders recycles the buffers csv.NewReader would allocate for every
// block (csv.NewReader keeps a *bufio.Reader that is large enough).
var blockReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// decodeBlock parses the rows of one order.
func (l *journalLayout) decodeBlock(block []byte) (*record.OrderResult, error) {
	br := blockReaders.Get().(*bufio.Reader)
	br.Reset(bytes.NewReader(block))
	defer func() {
		br.Reset(nil)
		blockReaders.Put(br)
	}()
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var r *record.OrderResult
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if l.chained && len(rec) > 0 {
			rec = rec[:len(rec)-1]
		}
		if len(rec) < l.extras {
			return nil, fmt.Errorf("a row has %d columns, want %d", len(rec), l.extras)
		}
		if !l.verbatim {
			for i, v := range rec {
				rec[i] = record.FromText(v)
			}
		}
		if r == nil {
			r = &record.OrderResult{}
			if r.Seq, err = strconv.Atoi(rec[0]); err != nil {
				return nil, fmt.Errorf("column seq: %q is not a number", rec[0])
			}
			for i, v := range rec[:l.extras] {
				if err := l.order.Set(r, i, v); err != nil {
					return nil, err
				}
			}
			rows, _ := strconv.Atoi(rec[1])
			r.Lines = make([]record.LineResult, 0, max(rows, 0))
		}
		line := record.LineResult{Customer: r.Customer, Order: r.Order}
		for i, v := range rec[:l.extras] {
			if err := l.line.Set(&line, i, v); err != nil {
				return nil, err
			}
		}
		for i := l.extras; i < len(rec); i++ {
			c, err := decodeCell(rec[i])
			if err != nil {
				return nil, err
			}
			line.Extras = append(line.Extras, c)
		}
		r.Lines = append(r.Lines, line)
	}
	if r == nil {
		return nil, errors.New("empty block")
	}
	return r, nil
}

// Has reports whether the order at seq has an outcome.
func (j *Journal) Has(seq int) bool {
	_, ok := j.find(seq, KindOutcome)
	return ok
}

// Get reads the latest outcome of the order at seq.
func (j *Journal) Get(seq int) (*record.OrderResult, bool, error) { return j.read(seq, KindOutcome) }

// LinesOf returns how many lines the outcome of the order at seq has,
// without reading it.
func (j *Journal) LinesOf(seq int) (int, bool) {
	s, ok := j.find(seq, KindOutcome)
	return int(s.rows), ok
}

// Intent reads the intent of the order at seq that no outcome followed: a
// PATCH that was out when the run ended.
func (j *Journal) Intent(seq int) (*record.OrderResult, bool, error) { return j.read(seq, KindIntent) }

// Prior reads the earlier run's record of the order at seq that this run
// was doing again.
func (j *Journal) Prior(seq int) (*record.OrderResult, bool, error) { return j.read(seq, KindPrior) }

// find returns where the record of kind is; an intent counts only when no
// outcome followed it.
func (j *Journal) find(seq int, kind Kind) (span, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch kind {
	case KindIntent:
		in, ok := j.intents[seq]
		if out, done := j.at[seq]; done && out.off > in.off {
			return span{}, false
		}
		return in, ok
	case KindPrior:
		s, ok := j.priors[seq]
		return s, ok
	}
	s, ok := j.at[seq]
	return s, ok
}

func (j *Journal) read(seq int, kind Kind) (*record.OrderResult, bool, error) {
	s, ok := j.find(seq, kind)
	if !ok {
		return nil, false, nil
	}
	bp := blockBufs.Get().(*[]byte)
	defer blockBufs.Put(bp)
	if cap(*bp) < int(s.n) {
		*bp = make([]byte, s.n)
	}
	buf := (*bp)[:s.n]
	if _, err := j.f.ReadAt(buf, s.off); err != nil {
		return nil, false, fmt.Errorf("journal %s: %w", j.path, err)
	}
	r, err := j.layout.decodeBlock(buf)
	if err != nil {
		return nil, false, fmt.Errorf("journal %s: record of item %d is corrupt: %v", j.path, seq, err)
	}
	return r, true, nil
}

// Close closes the journal file; it stays on disk.
func (j *Journal) Close() error { return j.f.Close() }

// Remove closes and deletes the journal: the report it fed is complete.
func (j *Journal) Remove() error {
	j.f.Close()
	err := os.Remove(j.path)
	syncDir(filepath.Dir(j.path))
	return err
}

// readFirstLine reads the first line of a journal.
func readFirstLine(r *bufio.Reader, path string) (Header, []byte, error) {
	var h Header
	line, err := r.ReadBytes('\n')
	if err != nil || !bytes.HasPrefix(line, []byte(journalMagic)) {
		return h, nil, fmt.Errorf("%s is not a pcreconcile journal", path)
	}
	if err := json.Unmarshal(bytes.TrimPrefix(line, []byte(journalMagic)), &h); err != nil || h.Kind != "header" {
		return h, nil, fmt.Errorf("%s is not a pcreconcile journal", path)
	}
	if h.Version < 2 || h.Version > Version {
		return h, nil, fmt.Errorf("%s is a version %d journal; this pcreconcile reads versions 2 to %d", path, h.Version, Version)
	}
	return h, line, nil
}

// Open opens an existing journal for reading: its header and the
// index of its blocks (the latest block of an order wins). A block cut short
// at the end, written when the process died, is ignored: its order had not
// finished. The file is not modified.
func Open(path string) (*Journal, Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Header{}, err
	}
	j, h, err := indexJournal(path, f)
	if err != nil {
		f.Close()
		return nil, h, err
	}
	return j, h, nil
}

func indexJournal(path string, f *os.File) (*Journal, Header, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, Header{}, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	h, headerLine, err := readFirstLine(br, path)
	if err != nil {
		return nil, h, err
	}
	off := int64(len(headerLine))
	size := fi.Size()
	// A last row without its newline was being written: not a record.
	if size > off {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			size = lastNewline(f, size)
		}
	}
	raw := &rawRows{}
	cr := csv.NewReader(io.TeeReader(io.LimitReader(br, size-off), raw))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cols, err := cr.Read()
	if err != nil {
		return nil, h, fmt.Errorf("%s: the journal has no header row", path)
	}
	layout, err := newLayout(slices.Clone(cols))
	if err != nil {
		return nil, h, fmt.Errorf("%s: %v", path, err)
	}
	j := openedJournal(path, layout, f)
	chain := chainSeed(append(slices.Clone(headerLine), raw.take(cr.InputOffset())...))
	lineNo := 2 // the file's line the next row starts on
	orderCol := slices.Index(cols, "order")
	var edited *EditedError
	blockStart, want, next := int64(-1), 0, 0
	kind := KindOutcome
	for {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if err != nil {
			// The end, or a tail that does not parse: a crash cut a quoted
			// value short. What follows is not trusted; a resume reads every
			// order it touches first, so nothing is done twice.
			break
		}
		if len(rec) < 3 {
			return nil, h, fmt.Errorf("%s: a row has too few columns", path)
		}
		row := raw.take(cr.InputOffset())
		lineNo += bytes.Count(row, []byte{'\n'})
		if layout.chained && edited == nil {
			var ok bool
			if chain, ok = chainCheck(chain, row, rec[len(rec)-1]); !ok {
				// Edited — unless it is the start of a block a crash cut
				// short, which no complete block follows.
				order := "?"
				if orderCol >= 0 && orderCol < len(rec) {
					order = rec[orderCol]
				}
				edited = &EditedError{Path: path, Line: lineNo - bytes.Count(row, []byte{'\n'}) + 1, Order: order}
			}
		}
		seq, e1 := strconv.Atoi(rec[0])
		rows, e2 := strconv.Atoi(rec[1])
		index, e3 := strconv.Atoi(rec[2])
		if e1 != nil || e2 != nil || e3 != nil || rows < 1 {
			return nil, h, fmt.Errorf("%s: a row has a bad seq/rows/index", path)
		}
		if index == 0 {
			blockStart, want, next, kind = off+before, rows, 0, KindOutcome
			if layout.kind >= 0 && layout.kind < len(rec) {
				kind = Kind(rec[layout.kind])
			}
			if kind != KindOutcome && kind != KindIntent && kind != KindPrior {
				return nil, h, fmt.Errorf("%s: order %d has a record of unknown kind %q", path, seq, kind)
			}
		}
		if blockStart < 0 || index != next || rows != want {
			return nil, h, fmt.Errorf("%s: order %d's rows are out of order", path, seq)
		}
		next++
		if next == want {
			if edited != nil {
				return nil, h, edited
			}
			end := off + cr.InputOffset()
			j.index(seq, kind, span{blockStart, int32(end - blockStart), int32(want)})
			blockStart = -1
		}
	}
	j.end = fi.Size()
	j.chain = chain
	return j, h, nil
}

// OpenAppend opens a journal to go on writing it — a journal this process
// wrote and closed (a resume that takes over the file of the journal it
// continues). It refuses one whose last row is cut short.
func OpenAppend(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	j, _, err := indexJournal(path, f)
	if err == nil && j.end > 0 {
		last := make([]byte, 1)
		if _, rerr := f.ReadAt(last, j.end-1); rerr != nil || last[0] != '\n' {
			err = fmt.Errorf("%s: its last row is cut short", path)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// rawRows keeps the bytes the CSV reader has read and not yet been taken:
// the rows as they are in the file, for their checksums.
type rawRows struct {
	buf   []byte
	start int   // buf[:start] is taken
	base  int64 // offset of buf[0] in the stream
}

func (r *rawRows) Write(p []byte) (int, error) {
	if r.start > 0 && r.start >= len(r.buf)/2 {
		n := copy(r.buf, r.buf[r.start:])
		r.buf, r.base, r.start = r.buf[:n], r.base+int64(r.start), 0
	}
	r.buf = append(r.buf, p...)
	return len(p), nil
}

// take returns the bytes from the last take up to offset end of the
// stream. They are valid until the next Write.
func (r *rawRows) take(end int64) []byte {
	n := int(end - r.base)
	row := r.buf[r.start:n:n]
	r.start = n
	return row
}

// chainCheck verifies a row's checksum: row is its bytes in the file (with
// the newline), sum the value of its last cell.
func chainCheck(prev [chainBytes]byte, row []byte, sum string) ([chainBytes]byte, bool) {
	row = bytes.TrimSuffix(row, []byte{'\n'})
	cut := len(row) - len(sum) - 1
	if len(sum) != 2*chainBytes || cut < 0 || row[cut] != ',' || string(row[cut+1:]) != sum {
		return prev, false
	}
	next := chainNext(prev, row[:cut])
	return next, hex.EncodeToString(next[:]) == sum
}

// EditedError is a journal whose running checksum breaks: a row was
// changed, added or removed after the run wrote it.
type EditedError struct {
	Path  string
	Line  int    // the file's line the first such row starts on
	Order string // that row's order id
}

func (e *EditedError) Error() string {
	return fmt.Sprintf("%s has been edited: line %d (order %s) does not match the journal's running checksum, so nothing from that line on can be trusted", e.Path, e.Line, e.Order)
}

// Hint says what to do instead.
func (e *EditedError) Hint() string {
	return "restore the journal as the run left it, or resume from the report that run wrote; the journal is the record of what was sent and is never edited"
}

// lastNewline returns the offset just after the last newline before size.
func lastNewline(f *os.File, size int64) int64 {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		n, _ := f.ReadAt(buf[:end-start], start)
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1
		}
		end = start
	}
	return 0
}

// ReadHeader reads only the header of the journal at path.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	h, _, err := readFirstLine(bufio.NewReader(f), path)
	return h, err
}

// Len returns the number of orders with an outcome.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.at)
}

// syncDir makes a created or removed file name durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
