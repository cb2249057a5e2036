package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Delimiters are the separators delimiter detection tries, in this order.
var Delimiters = []rune{',', ';', '\t', '|'}

const (
	sniffBytes   = 64 << 10 // what delimiter detection looks at
	peekBytes    = 1 << 20  // what encoding detection looks at
	defaultMaxLn = 1 << 20
)

// csvReader reads delimited text. encoding/csv does the parsing (quotes,
// doubled quotes, delimiters and newlines inside quoted fields); this type
// settles what it cannot: encoding, delimiter, Excel's "sep=" line, CR-only
// line ends, and row numbers.
type csvReader struct {
	file     string
	closer   io.Closer
	r        *csv.Reader
	offset   int // lines consumed before the csv.Reader saw any ("sep=")
	rec      Record
	cells    []Cell
	err      error
	Encoding string
	Comma    rune
	// strays: the file is UTF-8 but for a few bytes; the rows holding them
	// are row problems, their values read with U+FFFD in place of each.
	strays bool

	batches   chan *csvBatch // filled by produce
	free      chan *csvBatch // consumed batches, for reuse
	done      chan struct{}  // closed by Close
	cur       *csvBatch
	at, errAt int
}

func newCSV(path string, f io.Closer, br *bufio.Reader, opts Options) (*csvReader, error) {
	br = bufio.NewReaderSize(br, peekBytes)
	peek, err := br.Peek(peekBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &Error{File: path, Reason: "cannot read the file", Err: err}
	}
	if len(bytes.TrimSpace(peek)) == 0 {
		return nil, errorf(path, "", "the file is empty")
	}

	// Encoding: a BOM decides; without one, the whole file (utf8Verdict):
	// UTF-8 if it is, else Windows-1252 (what Excel's "CSV (Comma
	// delimited)" writes on a Western Windows).
	// newDec makes the decoder; sniffing and streaming need separate ones,
	// as a decoder remembers whether it has seen the BOM.
	var newDec func() *encoding.Decoder
	name := "UTF-8"
	strays := false
	switch {
	case bytes.HasPrefix(peek, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		peek = peek[3:]
		name = "UTF-8 with BOM"
		if utf8Verdict(f, peek) != allUTF8 {
			strays, name = true, "UTF-8 with BOM, with bytes that are not"
		}
	case bytes.HasPrefix(peek, []byte{0xFF, 0xFE}):
		newDec, name = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder, "UTF-16LE"
	case bytes.HasPrefix(peek, []byte{0xFE, 0xFF}):
		newDec, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder, "UTF-16BE"
	case len(peek) >= 4 && peek[0] != 0 && peek[1] == 0 && peek[2] != 0 && peek[3] == 0:
		newDec, name = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder, "UTF-16LE"
	case len(peek) >= 4 && peek[0] == 0 && peek[1] != 0 && peek[2] == 0 && peek[3] != 0:
		newDec, name = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder, "UTF-16BE"
	default:
		// The whole file decides when it can be read twice: valid UTF-8
		// wins, a few stray bytes in UTF-8 are row problems, and a file whose
		// high bytes are mostly not UTF-8 is Windows-1252.
		switch utf8Verdict(f, peek) {
		case mostlyUTF8:
			strays = true
			name = "UTF-8, with bytes that are not"
		case notUTF8:
			newDec, name = charmap.Windows1252.NewDecoder, "Windows-1252"
		}
	}
	var text io.Reader = br
	sniff := peek[:min(len(peek), sniffBytes)]
	if newDec != nil {
		text = transform.NewReader(br, newDec())
		if name != "Windows-1252" {
			sniff = sniff[:len(sniff)&^1]
		}
		sniff, _, _ = transform.Bytes(newDec(), sniff)
	}
	if isBinary(sniff) {
		return nil, errorf(path, "save the list as .csv (UTF-8) or .xlsx", "is not a text or spreadsheet file (it contains binary data)")
	}

	// Classic Mac line ends: lone CRs, which encoding/csv does not split on.
	// (A newline inside a quoted value does not make a file LF-separated.)
	if lone := bytes.Count(sniff, []byte("\r")) - bytes.Count(sniff, []byte("\r\n")); lone > bytes.Count(sniff, []byte("\n")) {
		text = &crToLF{r: text}
		sniff = loneCRs(sniff)
	}
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = defaultMaxLn
	}
	text = &lineGuard{r: text, max: maxLine}

	r := &csvReader{file: path, closer: f, Encoding: name, strays: strays}
	comma := opts.Delimiter
	// Excel writes and honours a first line "sep=;" naming the delimiter.
	if first, _, _ := bytes.Cut(sniff, []byte("\n")); bytes.HasPrefix(bytes.ToLower(first), []byte("sep=")) {
		line := strings.TrimRight(string(first[4:]), "\r")
		if rs := []rune(line); len(rs) == 1 {
			bt := bufio.NewReader(text)
			if _, err := bt.ReadString('\n'); err != nil {
				return nil, errorf(path, "", "the file holds nothing but its sep= line")
			}
			text, r.offset = bt, 1
			sniff = sniff[len(first)+1:]
			if comma == 0 {
				comma = rs[0]
			}
		}
	}
	if comma == 0 {
		comma = detectDelimiter(sniff, opts.IsHeader)
	}
	if comma == '"' || comma == '\r' || comma == '\n' || !validDelimiter(comma) {
		return nil, errorf(path, "use , ; tab or |", "%q cannot be a delimiter", comma)
	}
	r.Comma = comma
	r.r = csv.NewReader(text)
	r.r.Comma = comma
	r.r.FieldsPerRecord = -1
	r.r.ReuseRecord = true
	return r, nil
}

func validDelimiter(r rune) bool {
	return r != 0 && r != utf8.RuneError && r != '\uFFFD'
}

// utf8Verdicts: what the whole file is.
const (
	allUTF8 = iota
	mostlyUTF8
	notUTF8
)

// utf8Verdict decides the encoding of a file without a BOM from all of it
// when f can be read again (an *os.File), else from peek, its start.
func utf8Verdict(f io.Closer, peek []byte) int {
	ra, ok := f.(io.ReaderAt)
	if !ok {
		if validUTF8Prefix(peek) {
			return allUTF8
		}
		return notUTF8
	}
	if eachChunk(ra, utf8.Valid) {
		return allUTF8 // the common case, checked fast
	}
	var multi, stray int
	eachChunk(ra, func(b []byte) bool {
		for len(b) > 0 {
			if b[0] < utf8.RuneSelf {
				b = b[1:]
				continue
			}
			r, size := utf8.DecodeRune(b)
			if r == utf8.RuneError && size == 1 {
				stray++
			} else {
				multi++
			}
			b = b[size:]
		}
		return true
	})
	if multi > stray {
		return mostlyUTF8
	}
	return notUTF8
}

// eachChunk passes all of ra to fn in chunks of about 1 MiB that never cut
// a UTF-8 character in two, while fn returns true.
func eachChunk(ra io.ReaderAt, fn func([]byte) bool) bool {
	buf := make([]byte, 1<<20+utf8.UTFMax)
	for off := int64(0); ; {
		n, err := ra.ReadAt(buf[:1<<20], off)
		b := buf[:n]
		if err == nil {
			// Move the end to a character boundary: back over at most three
			// continuation bytes to the start of the last character.
			cut := len(b)
			for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
				if utf8.RuneStart(b[i]) {
					if !utf8.FullRune(b[i:]) {
						cut = i
					}
					break
				}
			}
			b = b[:cut]
		}
		if len(b) > 0 && !fn(b) {
			return false
		}
		off += int64(len(b))
		if err != nil || len(b) == 0 {
			return true
		}
	}
}

// notUTF8Fields reports a row of a UTF-8 file that holds bytes that are
// not, and makes its values valid (U+FFFD for each such byte).
func notUTF8Fields(fields []string) error {
	var err error
	for i, f := range fields {
		if utf8.ValidString(f) {
			continue
		}
		if err == nil {
			shown := f
			if len(shown) > 60 {
				shown = shown[:60]
			}
			err = fmt.Errorf("column %s holds bytes that are not UTF-8 (%q), in a file that otherwise is: retype the value, or save the file as CSV UTF-8", ColumnName(i), shown)
		}
		fields[i] = strings.ToValidUTF8(f, "\uFFFD")
	}
	return err
}

// validUTF8Prefix reports whether b is valid UTF-8, ignoring a rune cut
// short at the end of the peeked prefix.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			return false
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// isBinary reports text that cannot be a spreadsheet export: NUL bytes or
// many control characters.
func isBinary(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	var ctl int
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			ctl++
		}
	}
	return ctl > 0 && ctl*20 > len(b)
}

// detectDelimiter picks the delimiter under which one of the first rows is
// the header; failing that, the candidate that occurs most on the first line.
func detectDelimiter(sniff []byte, isHeader func([]string) bool) rune {
	if isHeader != nil {
		for _, d := range Delimiters {
			cr := csv.NewReader(bytes.NewReader(sniff))
			cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = d, -1, true
			for range 20 {
				rec, err := cr.Read()
				if err != nil && !errors.As(err, new(*csv.ParseError)) {
					break
				}
				if err == nil && len(rec) > 1 && isHeader(rec) {
					return d
				}
			}
		}
	}
	first, _, _ := bytes.Cut(sniff, []byte("\n"))
	best, bestN := ',', 0
	for _, d := range Delimiters {
		if n := strings.Count(string(first), string(d)); n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// The parsing runs in its own goroutine, a batch of records ahead of the
// consumer: on a million-row sheet encoding/csv and the validation then
// share the machine's cores instead of taking turns.

// csvBatch is a run of records, flattened.
type csvBatch struct {
	rows   []int    // source row of each record
	ends   []int    // end of each record's fields in fields
	fields []string // all fields, record after record
	errs   []rowErr // records that are row problems
	err    error    // set on the last batch when reading failed
}

type rowErr struct {
	at  int // record index in the batch
	err error
	// cells: the row's cells are read too (the error is about a value)
	cells bool
}

const batchRecords = 512

func (r *csvReader) start() {
	r.batches = make(chan *csvBatch, 4)
	r.free = make(chan *csvBatch, 6)
	r.done = make(chan struct{})
	go r.produce()
}

func (r *csvReader) produce() {
	defer close(r.batches)
	for {
		var b *csvBatch
		select {
		case b = <-r.free:
			b.rows, b.ends, b.fields, b.errs = b.rows[:0], b.ends[:0], b.fields[:0], b.errs[:0]
		default:
			b = &csvBatch{}
		}
		last := r.fill(b)
		select {
		case r.batches <- b:
		case <-r.done:
			return
		}
		if last {
			return
		}
	}
}

// fill reads up to batchRecords records into b; it reports whether the
// input is finished (EOF or an error, which is left in b.err).
func (r *csvReader) fill(b *csvBatch) bool {
	for len(b.rows) < batchRecords {
		fields, err := r.r.Read()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			var pe *csv.ParseError
			var long *lineTooLong
			switch {
			case errors.As(err, &long):
				b.err = errorf(r.file, "a cancellation list has short lines; is this the right file?", "line %d is longer than %d bytes", long.line, long.max)
				return true
			case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) && pe.Line != pe.StartLine:
				// Everything after an unclosed quote became one value: rows
				// would be lost, so nothing is used.
				b.err = errorf(r.file, "close the quote, or remove it if the value needs none", "row %d: a quoted value is never closed (the quote swallows everything up to line %d)", pe.StartLine+r.offset, pe.Line+r.offset)
				return true
			case errors.As(err, &pe):
				b.errs = append(b.errs, rowErr{at: len(b.rows), err: fmt.Errorf("malformed CSV at character %d: %v (a value containing %q must be quoted, with inner quotes doubled)", pe.Column, pe.Err, '"')})
				b.rows = append(b.rows, pe.StartLine+r.offset)
				b.ends = append(b.ends, len(b.fields))
				continue
			}
			b.err = &Error{File: r.file, Reason: "cannot read the file", Err: err}
			return true
		}
		fields = trimEmpty(fields)
		if len(fields) == 0 {
			continue // blank line, or only delimiters
		}
		line, _ := r.r.FieldPos(0)
		if r.strays {
			if err := notUTF8Fields(fields); err != nil {
				b.errs = append(b.errs, rowErr{at: len(b.rows), err: err, cells: true})
			}
		}
		b.rows = append(b.rows, line+r.offset)
		b.fields = append(b.fields, fields...)
		b.ends = append(b.ends, len(b.fields))
	}
	return false
}

func (r *csvReader) Next() bool {
	if r.err != nil {
		return false
	}
	if r.batches == nil {
		r.start()
	}
	for r.cur == nil || r.at >= len(r.cur.rows) {
		if r.cur != nil {
			if r.cur.err != nil {
				r.err = r.cur.err
				return false
			}
			select {
			case r.free <- r.cur:
			default:
			}
		}
		b, ok := <-r.batches
		if !ok {
			r.cur = nil
			return false
		}
		r.cur, r.at, r.errAt = b, 0, 0
	}
	b, i := r.cur, r.at
	r.at++
	var rowErr error
	if r.errAt < len(b.errs) && b.errs[r.errAt].at == i {
		e := b.errs[r.errAt]
		r.errAt++
		if !e.cells {
			r.rec = Record{Row: b.rows[i], Err: e.err}
			return true
		}
		rowErr = e.err
	}
	begin := 0
	if i > 0 {
		begin = b.ends[i-1]
	}
	r.cells = r.cells[:0]
	for _, s := range b.fields[begin:b.ends[i]] {
		k := Text
		if s == "" {
			k = Empty
		}
		r.cells = append(r.cells, Cell{Kind: k, Text: s})
	}
	r.rec = Record{Row: b.rows[i], Cells: r.cells, Err: rowErr}
	return true
}

func (r *csvReader) Record() Record { return r.rec }
func (r *csvReader) Err() error     { return r.err }

// Close stops the parsing goroutine and closes the input.
func (r *csvReader) Close() error {
	if r.done != nil {
		close(r.done)
		for range r.batches { // let the producer see done and exit
		}
		r.done = nil
	}
	return r.closer.Close()
}

// crToLF turns lone carriage returns into newlines; CRLF stays CRLF.
type crToLF struct {
	r      io.Reader
	pendCR bool // the last byte read was a CR, its fate unknown
}

func (c *crToLF) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	out := 0
	if c.pendCR {
		// Decided by the next byte: hold one byte of room for it.
		p[0] = '\r'
		out = 1
	}
	n, err := c.r.Read(p[out : len(p)-1])
	buf := p[:out+n]
	c.pendCR = false
	for i := 0; i < len(buf); i++ {
		if buf[i] != '\r' {
			continue
		}
		switch {
		case i+1 < len(buf):
			if buf[i+1] != '\n' {
				buf[i] = '\n'
			}
		case err == nil:
			// A CR at the end of what was read: wait for the next byte.
			c.pendCR = true
			return i, nil
		default:
			buf[i] = '\n'
		}
	}
	return len(buf), err
}

// loneCRs is crToLF for a byte slice.
func loneCRs(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c == '\r' && (i+1 >= len(b) || b[i+1] != '\n') {
			c = '\n'
		}
		out[i] = c
	}
	return out
}

// lineGuard fails a read once a line grows past max bytes.
type lineGuard struct {
	r    io.Reader
	max  int
	cur  int // bytes since the last newline
	line int
}

type lineTooLong struct{ line, max int }

func (e *lineTooLong) Error() string {
	return fmt.Sprintf("line %d longer than %d bytes", e.line, e.max)
}

func (g *lineGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	chunk := p[:n]
	for {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			g.cur += len(chunk)
			break
		}
		if g.cur+i > g.max {
			return 0, &lineTooLong{line: g.line + 1, max: g.max}
		}
		g.line++
		g.cur = 0
		chunk = chunk[i+1:]
	}
	if g.cur > g.max {
		return 0, &lineTooLong{line: g.line + 1, max: g.max}
	}
	return n, err
}

// EncodingName names the detected text encoding.
func (r *csvReader) EncodingName() string { return r.Encoding }

// Delimiter is the field separator the file was read with.
func (r *csvReader) Delimiter() rune { return r.Comma }
