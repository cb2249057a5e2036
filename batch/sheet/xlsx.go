package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// oleMagic starts an OLE compound file: a legacy .xls, or an .xlsx that
// Excel has encrypted with a password.
const oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// Limits bound what reading an XLSX workbook may cost. A workbook is a zip
// archive of XML parts; a zip bomb is a small file whose parts unpack to
// gigabytes, which excelize would hold in memory (styles, the workbook, any
// extra part) or copy to a temporary file (sheets, shared strings) before
// the first row is read. The parts' unpacked sizes are declared in the
// archive's directory, and Go's zip reader fails a part that unpacks to more
// than it declared, so they are checked before excelize sees the file.
//
// Real workbooks unpack to 3–10 times their size (a million-row report: 30
// MB to 300 MB; 200,000 rows of one tenant and three lines an order, 16
// times); a bomb unpacks to a thousand times its size. At the ratio allowed,
// 50, a sheet padded with whitespace costs about 150 MB of memory per MB of
// file (twice that read typed): slow, not dangerous.
type Limits struct {
	// File bounds the file itself, which is read into memory.
	File int64
	// Total bounds all parts together, unpacked.
	Total int64
	// A sheet or the shared strings may unpack to Ratio times the file's
	// size, and always to Floor.
	Ratio int64
	Floor int64
	// Part bounds every other part (styles, the workbook, relationships,
	// media), which excelize reads into memory whole.
	Part int64
	// A sheet or shared-strings part larger than Spill is unpacked to a
	// temporary file rather than held in memory.
	Spill int64
}

// DefaultLimits are the limits of a zero Limits' fields.
var DefaultLimits = Limits{File: 512 << 20, Total: 2 << 30, Ratio: 50, Floor: 64 << 20, Part: 32 << 20, Spill: 16 << 20}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	for _, f := range []struct{ v, def *int64 }{{&l.File, &d.File}, {&l.Total, &d.Total}, {&l.Ratio, &d.Ratio}, {&l.Floor, &d.Floor}, {&l.Part, &d.Part}, {&l.Spill, &d.Spill}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// oleError explains an OLE compound file by the names of the streams in
// its directory (stored as UTF-16LE). The file is refused either way, so a
// byte search is enough — and, unlike parsing the container, it cannot be
// made to allocate what a forged header claims (the fuzzer found that).
func oleError(path string, data []byte) *Error {
	has := func(name string) bool {
		u := make([]byte, 0, 2*len(name))
		for i := 0; i < len(name); i++ {
			u = append(u, name[i], 0)
		}
		return bytes.Contains(data, u)
	}
	switch {
	case has("EncryptionInfo") || has("EncryptedPackage"):
		return errorf(path, "remove the password (Excel: File > Info > Protect Workbook > Encrypt with Password, clear it) and save, or export the sheet as CSV", "is a password-protected workbook")
	case has("Workbook") || has("Book"):
		return errorf(path, "open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx), or as CSV UTF-8", "is a legacy Excel 97-2003 (.xls) workbook, which pcreconcile does not read")
	}
	return errorf(path, "save the list as .xlsx or .csv", "is an OLE compound document (e.g. an old Office file), not a spreadsheet pcreconcile can read")
}

// Workbook is an open XLSX file.
type Workbook struct {
	path     string
	f        *excelize.File
	tmp      string // excelize's temporary files, removed on Close
	date1904 bool
}

// OpenWorkbook opens an XLSX file for reading within lim (zero fields take
// DefaultLimits).
func OpenWorkbook(path string, lim Limits) (*Workbook, error) {
	lim = lim.orDefault()
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Reason: "cannot open the file", Err: err, Fix: openHint(err)}
	}
	data, err := readAllLimit(fh, lim.File)
	fh.Close()
	if err != nil {
		return nil, &Error{File: path, Reason: "cannot read the workbook: " + err.Error(), Err: err}
	}
	return openWorkbook(path, data, lim)
}

const resave = "open it in Excel or LibreOffice and save it again as .xlsx"

func openWorkbook(path string, data []byte, lim Limits) (wb *Workbook, err error) {
	if bytes.HasPrefix(data, []byte(oleMagic)) {
		return nil, oleError(path, data)
	}
	zr, total, err := checkParts(path, data, lim)
	if err != nil {
		return nil, err
	}
	// excelize ignores a part that fails to unpack and reads what came out
	// before the failure: a damaged sheet would lose its last rows without a
	// word. Every part is unpacked once more to check it, on the other core
	// while excelize opens the file.
	damaged := make(chan error, 1)
	go func() { damaged <- verifyParts(path, zr) }()
	defer func() {
		if derr := <-damaged; derr != nil && err == nil {
			wb.Close()
			wb, err = nil, derr
		}
	}()
	// excelize copies large sheets to temporary files and removes them on
	// Close; a folder of its own is removed whole, whatever happened.
	tmp, err := os.MkdirTemp("", "pcreconcile-xlsx-")
	if err != nil {
		return nil, &Error{File: path, Reason: "cannot create a temporary folder to read it: " + err.Error(), Err: err, Fix: "check that $TMPDIR exists and has space"}
	}
	defer func() {
		if wb == nil {
			os.RemoveAll(tmp)
		}
	}()
	// excelize has panicked on malformed archives before; whatever a file
	// holds, the answer is an error, never a crash.
	defer func() {
		if p := recover(); p != nil {
			wb, err = nil, &Error{File: path, Reason: fmt.Sprintf("is not a readable XLSX workbook (%v)", p), Fix: resave}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    total + 1,
		UnzipXMLSizeLimit: min(total+1, lim.Spill),
		TmpDir:            tmp,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &Error{File: path, Reason: "is not a readable XLSX workbook: " + err.Error(), Fix: resave, Err: err}
	}
	wb = &Workbook{path: path, f: f, tmp: tmp}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		wb.date1904 = *props.Date1904
	}
	return wb, nil
}

// checkParts checks the sizes the archive declares for its parts against
// lim before anything is unpacked, and returns their total. It also refuses
// a workbook whose shared-strings part is missing: excelize would read each
// of its text cells as empty, and the file would seem to have no header.
func checkParts(path string, data []byte, lim Limits) (*zip.Reader, int64, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, 0, &Error{File: path, Reason: "is not a readable XLSX workbook: " + err.Error(), Fix: resave, Err: err}
	}
	size := int64(len(data))
	allowed := min(lim.Total, max(lim.Floor, lim.Ratio*size))
	bomb := func(what string, n int64) error {
		return &Error{
			File:   path,
			Reason: fmt.Sprintf("%s unpack to %s from a file of %s; refusing it (a zip bomb, or not a cancellation list)", what, byteSize(n), byteSize(size)),
			Fix:    "if it really is a cancellation list, " + resave + " or export the sheet as CSV",
		}
	}
	var total int64
	var rels *zip.File
	sharedStrings := false
	for _, f := range zr.File {
		n := int64(min(f.UncompressedSize64, 1<<62))
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		switch {
		case name == "xl/sharedstrings.xml":
			sharedStrings = true
		case name == "xl/_rels/workbook.xml.rels":
			rels = f
		}
		if !strings.HasPrefix(name, "xl/worksheets/") && name != "xl/sharedstrings.xml" && n > lim.Part {
			return nil, 0, bomb(fmt.Sprintf("its part %s would", f.Name), n)
		}
		if n > allowed {
			return nil, 0, bomb(fmt.Sprintf("its part %s would", f.Name), n)
		}
		if total += n; total > allowed {
			return nil, 0, bomb("its parts would", total)
		}
	}
	if !sharedStrings && rels != nil && namesSharedStrings(rels) {
		return nil, 0, &Error{File: path, Reason: "has no shared-strings part (xl/sharedStrings.xml), which its workbook names: every text cell would read as empty", Fix: "the file is damaged or was assembled by a tool that left the part out; " + resave}
	}
	return zr, total, nil
}

// verifyParts unpacks every part, checking that it unpacks to the size the
// archive declares and matches its checksum.
func verifyParts(path string, zr *zip.Reader) error {
	for _, f := range zr.File {
		rc, err := f.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			why := err.Error()
			switch {
			case errors.Is(err, zip.ErrFormat):
				why = "it unpacks to more than the archive says"
			case errors.Is(err, io.ErrUnexpectedEOF):
				why = "it unpacks to less than the archive says"
			case errors.Is(err, zip.ErrChecksum):
				why = "its checksum does not match"
			}
			return &Error{File: path, Reason: fmt.Sprintf("is damaged: its part %s cannot be unpacked (%s), so rows could be missing", f.Name, why), Fix: "download or copy the file again, or " + resave, Err: err}
		}
	}
	return nil
}

// namesSharedStrings reports whether the workbook's relationships name a
// shared-strings part.
func namesSharedStrings(rels *zip.File) bool {
	rc, err := rels.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	return bytes.Contains(b, []byte("/relationships/sharedStrings"))
}

// byteSize writes n as people read file sizes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Close releases the workbook and removes its temporary files.
func (w *Workbook) Close() error {
	err := w.f.Close()
	if w.tmp != "" {
		err = errors.Join(err, os.RemoveAll(w.tmp))
		w.tmp = ""
	}
	return err
}

// SheetNames returns the names of all sheets, in workbook order.
func (w *Workbook) SheetNames() []string { return w.f.GetSheetList() }

// FirstVisible returns the first visible sheet, or "" when every sheet is
// hidden.
func (w *Workbook) FirstVisible() string {
	for _, name := range w.f.GetSheetList() {
		if ok, _ := w.f.GetSheetVisible(name); ok {
			return name
		}
	}
	return ""
}

// Rows returns a Reader of the named sheet. Typed also reads each cell's
// number format, so dates come back as Date cells.
func (w *Workbook) Rows(name string, typed bool) (Reader, error) {
	found := ""
	for _, n := range w.f.GetSheetList() {
		if n == name {
			found = n
			break
		}
		if found == "" && strings.EqualFold(n, name) {
			found = n
		}
	}
	if found == "" {
		return nil, errorf(w.path, "use --sheet with one of: "+quoteList(w.f.GetSheetList()), "has no sheet named %q", name)
	}
	raw, err := w.f.Rows(found)
	if err != nil {
		return nil, &Error{File: w.path, Reason: fmt.Sprintf("cannot read sheet %q: %v", found, err), Err: err}
	}
	r := &xlsxReader{wb: w, raw: raw, sheet: found}
	if typed {
		if r.shown, err = w.f.Rows(found); err != nil {
			raw.Close()
			return nil, &Error{File: w.path, Reason: fmt.Sprintf("cannot read sheet %q: %v", found, err), Err: err}
		}
	}
	return r, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func openXLSX(path string, data []byte, opts Options) (Reader, error) {
	wb, err := openWorkbook(path, data, opts.Limits.orDefault())
	if err != nil {
		return nil, err
	}
	name := opts.Sheet
	if name == "" {
		if name = wb.FirstVisible(); name == "" {
			wb.Close()
			return nil, errorf(path, "unhide a sheet, or name one with --sheet", "has no visible sheet")
		}
	}
	r, err := wb.Rows(name, opts.Typed)
	if err != nil {
		wb.Close()
		return nil, err
	}
	r.(*xlsxReader).owns = true
	return r, nil
}

// xlsxReader reads one sheet with excelize's streaming row iterator. In
// typed mode a second iterator runs in step to see formatted values.
type xlsxReader struct {
	wb         *Workbook
	owns       bool // Close closes the workbook too
	sheet      string
	raw, shown *excelize.Rows
	rec        Record
	cells      []Cell
	err        error

	// Each iterator parses in its own goroutine: excelize's XML decoding is
	// the whole cost of reading a workbook, and the typed read needs two.
	rawRows, shownRows *rowFeed
	done               chan struct{}
}

// rowFeed is one iterator's rows, parsed ahead in batches.
type rowFeed struct {
	ch    chan []xlsxRow
	batch []xlsxRow
	at    int
}

type xlsxRow struct {
	n    int
	vals []string
	err  error
}

// rawValues keeps numbers as stored: excelize's formatted values would turn
// a line number 2.5 shown with format "0" into "3", and 12345678901234 in
// General format into "1.23457E+13".
var rawValues = excelize.Options{RawCellValue: true}

func (r *xlsxReader) feed(rows *excelize.Rows, opts excelize.Options) *rowFeed {
	f := &rowFeed{ch: make(chan []xlsxRow, 4)}
	go func() {
		defer close(f.ch)
		batch := make([]xlsxRow, 0, 256)
		send := func() bool {
			select {
			case f.ch <- batch:
				batch = make([]xlsxRow, 0, 256)
				return true
			case <-r.done:
				return false
			}
		}
		defer func() {
			// excelize has panicked on malformed sheets; end with an error.
			if p := recover(); p != nil {
				batch = append(batch, xlsxRow{err: fmt.Errorf("the sheet cannot be read (%v)", p)})
				send()
			}
		}()
		// excelize numbers rows by counting Next calls: missing rows come
		// back empty, so the count is the Excel row number.
		for n := 1; rows.Next(); n++ {
			vals, err := rows.Columns(opts)
			batch = append(batch, xlsxRow{n: n, vals: vals, err: err})
			if err != nil || len(batch) == cap(batch) {
				if !send() || err != nil {
					return
				}
			}
		}
		if err := rows.Error(); err != nil {
			batch = append(batch, xlsxRow{err: err})
		}
		if len(batch) > 0 {
			send()
		}
	}()
	return f
}

// next returns the feed's next row, or false at its end.
func (f *rowFeed) next() (xlsxRow, bool) {
	for f.at >= len(f.batch) {
		b, ok := <-f.ch
		if !ok {
			return xlsxRow{}, false
		}
		f.batch, f.at = b, 0
	}
	f.at++
	return f.batch[f.at-1], true
}

func (r *xlsxReader) Next() bool {
	if r.err != nil {
		return false
	}
	if r.rawRows == nil {
		r.done = make(chan struct{})
		r.rawRows = r.feed(r.raw, rawValues)
		if r.shown != nil {
			r.shownRows = r.feed(r.shown, excelize.Options{})
		}
	}
	for {
		row, ok := r.rawRows.next()
		if !ok {
			return false
		}
		var shown []string
		if r.shownRows != nil {
			if s, ok := r.shownRows.next(); ok && s.n == row.n {
				shown = s.vals
			}
		}
		if row.err != nil {
			r.err = &Error{File: r.wb.path, Reason: fmt.Sprintf("sheet %q row %d: %v", r.sheet, row.n, row.err), Err: row.err, Fix: resave}
			return false
		}
		vals := trimEmpty(row.vals)
		if len(vals) == 0 {
			continue
		}
		r.cells = r.cells[:0]
		for i, v := range vals {
			switch {
			case v == "":
				r.cells = append(r.cells, Cell{})
			case shown != nil && i < len(shown):
				r.cells = append(r.cells, typedCell(v, shown[i], r.wb.date1904))
			default:
				r.cells = append(r.cells, Cell{Kind: Text, Text: v})
			}
		}
		r.rec = Record{Row: row.n, Cells: r.cells}
		return true
	}
}

func (r *xlsxReader) Record() Record { return r.rec }
func (r *xlsxReader) Err() error     { return r.err }

// Close stops the parsing goroutines and releases the workbook.
func (r *xlsxReader) Close() error {
	if r.done != nil {
		close(r.done)
		for _, f := range []*rowFeed{r.rawRows, r.shownRows} {
			if f != nil {
				for range f.ch {
				}
			}
		}
		r.done = nil
	}
	err := r.raw.Close()
	if r.shown != nil {
		err = errors.Join(err, r.shown.Close())
	}
	if r.owns {
		err = errors.Join(err, r.wb.Close())
	}
	return err
}

// typedCell types a cell from its stored value and the value Excel shows,
// and rebuilds its number format from the two: excelize's streaming reader
// gives values, not styles, and reading every cell's style would mean
// parsing the whole sheet into memory.
func typedCell(raw, shown string, date1904 bool) Cell {
	if n, ok := storedNumber(raw); ok {
		if (shown == "TRUE" || shown == "FALSE") && (raw == "1" || raw == "0") {
			return Cell{Kind: Bool, Text: shown, Num: n}
		}
		if shown != raw && dateLike(shown, raw) {
			if t, err := excelize.ExcelDateToTime(n, date1904); err == nil {
				return Cell{Kind: Date, Text: shown, Num: n, Time: t, Format: dateFormatOf(shown, t)}
			}
		}
		return Cell{Kind: Number, Text: raw, Num: n, Format: numberFormatOf(shown, raw)}
	}
	// Cells of type "d" store an ISO 8601 date.
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, raw); err == nil {
			return Cell{Kind: Date, Text: raw, Time: t}
		}
	}
	return Cell{Kind: Text, Text: raw}
}

// storedNumber parses a number the way spreadsheet XML stores it: plain
// decimal or E notation, no leading zeros, no grouping. "010" or "1,234"
// are text that looks like a number and stays text.
func storedNumber(s string) (float64, bool) {
	if s == "" || len(s) > 32 {
		return 0, false
	}
	digits := strings.TrimPrefix(s, "-")
	if len(digits) > 1 && digits[0] == '0' && digits[1] != '.' && digits[1] != 'E' && digits[1] != 'e' {
		return 0, false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789.-+Ee", c) {
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// dateLike reports whether shown, the displayed form of the number raw, is
// a date or time rather than a formatted number ("1,234.50", "12%", "€ 5",
// "1.234.567" in European style).
func dateLike(shown, raw string) bool {
	s := strings.TrimSpace(shown)
	cleaned := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Sc, r) || unicode.IsSpace(r) || strings.ContainsRune(",'%()\u00a0", r) {
			return -1
		}
		return r
	}, s)
	if _, err := strconv.ParseFloat(cleaned, 64); err == nil {
		return false
	}
	if trimZeros(digitsOf(s)) == trimZeros(digitsOf(raw)) {
		return false // the same digits, grouped differently
	}
	lower := strings.ToLower(s)
	for _, m := range monthNames {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return strings.ContainsAny(s, "/-.:") && strings.ContainsAny(s, "0123456789")
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func trimZeros(s string) string { return strings.Trim(s, "0") }

// numberFormatOf rebuilds the number format that shows raw as shown:
// decimals, thousands grouping, a percent sign, text before and after
// (currency). It returns "" (General) when shown is raw as stored or does
// not look like a formatted number.
func numberFormatOf(shown, raw string) string {
	s := strings.TrimSpace(shown)
	if s == raw || s == "" {
		return ""
	}
	start := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	end := strings.LastIndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if start < 0 {
		return ""
	}
	prefix, body, suffix := s[:start], s[start:end+1], s[end+1:]
	prefix = strings.TrimSuffix(strings.TrimSuffix(prefix, "-"), "(")
	percent := strings.HasPrefix(strings.TrimSpace(suffix), "%")
	suffix = strings.TrimPrefix(strings.TrimSpace(suffix), "%")
	suffix = strings.TrimPrefix(suffix, ")")
	for _, c := range body {
		if !(c >= '0' && c <= '9') && c != ',' && c != '.' {
			return "" // not a formatted number: leave it General
		}
	}
	f := "0"
	whole, _, _ := strings.Cut(body, ".")
	switch {
	case strings.Contains(body, ","):
		f = "#,##0"
	case len(whole) > 1 && whole[0] == '0':
		f = strings.Repeat("0", len(whole)) // zero-padded, as ids are shown
	}
	if _, frac, ok := strings.Cut(body, "."); ok {
		f += "." + strings.Repeat("0", len(frac))
	}
	if percent {
		f += "%"
	}
	quote := func(t string) string {
		if t = strings.TrimSpace(t); t == "" {
			return ""
		}
		return `"` + strings.ReplaceAll(t, `"`, "") + `"`
	}
	if p := quote(prefix); p != "" {
		f = p + f
		if strings.HasSuffix(prefix, " ") {
			f = p + `" "` + f[len(p):]
		}
	}
	if q := quote(suffix); q != "" {
		if strings.HasPrefix(strings.TrimPrefix(shown[end+1:], "%"), " ") {
			f += `" "`
		}
		f += q
	}
	return f
}

// dateFormatOf rebuilds the date format that shows t as shown: which
// number is the year, month and day (and hour, minute, second), their
// widths and separators, month names. When shown cannot be explained by t,
// it is ISO.
func dateFormatOf(shown string, t time.Time) string {
	fallback := "yyyy-mm-dd"
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
		fallback = "yyyy-mm-dd hh:mm:ss"
	}
	var b strings.Builder
	used := map[string]bool{}
	timePart := false // after an hour: minutes, not months
	for i := 0; i < len(shown); {
		c := shown[i]
		j := i
		switch {
		case c >= '0' && c <= '9':
			for j < len(shown) && shown[j] >= '0' && shown[j] <= '9' {
				j++
			}
			tok := shown[i:j]
			n, _ := strconv.Atoi(tok)
			width := func(one, two string) string {
				if len(tok) == 2 {
					return two
				}
				return one
			}
			isDay := !used["d"] && !timePart && n == t.Day()
			isMonth := !used["m"] && !timePart && n == int(t.Month())
			if isDay && isMonth {
				// 03/03/2026: with slashes the month comes first, as the US
				// writes it; with dots or dashes the day does.
				if strings.Contains(shown, "/") {
					isDay = false
				} else {
					isMonth = false
				}
			}
			code := ""
			switch {
			case len(tok) == 4 && n == t.Year() && !used["y"]:
				code, used["y"] = "yyyy", true
			case j < len(shown) && shown[j] == ':' && !used["h"] && (n == t.Hour() || n == t.Hour()%12 || (n == 12 && t.Hour()%12 == 0)):
				code, used["h"], timePart = width("h", "hh"), true, true
			case timePart && !used["min"] && n == t.Minute():
				code, used["min"] = "mm", true
			case timePart && !used["s"] && n == t.Second():
				code, used["s"] = "ss", true
			case isDay:
				code, used["d"] = width("d", "dd"), true
			case isMonth:
				code, used["m"] = width("m", "mm"), true
			case len(tok) == 2 && n == t.Year()%100 && !used["y"]:
				code, used["y"] = "yy", true
			default:
				return fallback
			}
			b.WriteString(code)
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			for j < len(shown) && (shown[j] >= 'A' && shown[j] <= 'Z' || shown[j] >= 'a' && shown[j] <= 'z') {
				j++
			}
			tok := shown[i:j]
			switch {
			case strings.EqualFold(tok, t.Month().String()):
				b.WriteString("mmmm")
				used["m"] = true
			case strings.EqualFold(tok, t.Month().String()[:3]):
				b.WriteString("mmm")
				used["m"] = true
			case strings.EqualFold(tok, t.Weekday().String()):
				b.WriteString("dddd")
			case strings.EqualFold(tok, t.Weekday().String()[:3]):
				b.WriteString("ddd")
			case strings.EqualFold(tok, "AM") || strings.EqualFold(tok, "PM"):
				b.WriteString("AM/PM")
			default:
				return fallback
			}
		default:
			j = i + 1
			if !strings.ContainsRune(" ./-:,", rune(c)) {
				return fallback
			}
			b.WriteByte(c)
		}
		i = j
	}
	if !used["y"] || !used["m"] {
		return fallback
	}
	return b.String()
}
