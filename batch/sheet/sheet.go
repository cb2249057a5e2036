// Package sheet reads the rows of a spreadsheet file — CSV in any of the
// dialects Excel, LibreOffice, Google Sheets and scripts write, or an XLSX
// workbook — as records of cells, with the row numbers the user sees.
//
// It knows nothing of cancellations: batch decides which row is the header
// and what the cells mean. A file that cannot be read as a spreadsheet at all
// is an *Error, which says why and, where it helps, what to do.
package sheet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Kind is the type of a cell's value.
type Kind uint8

// Cell kinds. CSV cells are always Text (or Empty); XLSX cells read with
// Options.Typed keep the type Excel stored.
const (
	Empty Kind = iota
	Text
	Number
	Date
	Bool
)

// Cell is one value of a row.
type Cell struct {
	Kind Kind
	// Text is the value as stored: a number's exact digits ("12345678901234",
	// never "1.23E+13"), a string as typed, TRUE/FALSE for a Bool.
	Text string
	Num  float64   // for Number
	Time time.Time // for Date
	// Format is the cell's Excel number format ("#,##0.00", "dd.mm.yyyy"),
	// or "" for General.
	Format string
}

// Record is one row of the sheet.
type Record struct {
	// Row is the number the user sees: the Excel row, or the text line a CSV
	// record starts on.
	Row   int
	Cells []Cell
	// Err is a problem with this row alone (a malformed CSV line); the rest of
	// the file is still read.
	Err error
}

// Texts returns the cells' Text values.
func (r Record) Texts() []string {
	out := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		out[i] = c.Text
	}
	return out
}

// Reader yields the records of a sheet, in order, skipping empty rows.
type Reader interface {
	// Next advances to the next record and reports whether there is one.
	Next() bool
	// Record returns the current record. Its Cells are valid until Next is
	// called again.
	Record() Record
	// Err returns the error that ended the iteration early, if any.
	Err() error
	Close() error
}

// Options says how to read a file.
type Options struct {
	// Sheet names the XLSX sheet; empty means the first visible one.
	Sheet string
	// Delimiter is the CSV field separator; 0 means detect (comma, semicolon,
	// tab or pipe).
	Delimiter rune
	// Typed reads XLSX cells with their number formats too, so that dates
	// come back as dates. It costs a second parse of the sheet.
	Typed bool
	// IsHeader recognises the header row; CSV delimiter detection picks the
	// delimiter under which some early row is a header.
	IsHeader func(texts []string) bool
	// MaxLineBytes bounds one CSV line (default 1 MiB): a file of random
	// bytes without newlines is not a cancellation list.
	MaxLineBytes int
	// Limits bound what an XLSX file may cost to read; zero fields take
	// DefaultLimits.
	Limits Limits
}

// Error is a file that cannot be read as a spreadsheet. Nothing of it was
// used.
type Error struct {
	File   string
	Reason string
	// Fix says what to do about it, when that is known.
	Fix string
	Err error
}

func (e *Error) Error() string {
	if e.File == "" {
		return e.Reason
	}
	return e.File + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Hint returns what to do about the error, or "".
func (e *Error) Hint() string { return e.Fix }

// Format is the detected kind of an input file.
type Format string

// Formats Open recognises.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// Open opens path and returns a Reader of its rows: XLSX by content (a zip
// archive), anything else as delimited text.
func Open(path string, opts Options) (Reader, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", &Error{File: path, Reason: "cannot open the file", Err: err, Fix: openHint(err)}
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, "", &Error{File: path, Reason: "is a directory, not a spreadsheet"}
	}
	r, format, err := OpenReader(path, f, opts)
	if err != nil {
		f.Close()
		return nil, "", err
	}
	if format == FormatXLSX {
		f.Close() // the workbook is in memory
	}
	return r, format, nil
}

// OpenReader is Open for content that is not a file; name is used in
// messages and for the extension. A CSV Reader's Close closes r if it is an
// io.Closer.
func OpenReader(name string, r io.Reader, opts Options) (Reader, Format, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(8)
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04":
		data, err := readAllLimit(br, opts.Limits.orDefault().File)
		if err != nil {
			return nil, "", &Error{File: name, Reason: "cannot read the workbook: " + err.Error(), Err: err}
		}
		rd, err := openXLSX(name, data, opts)
		return rd, FormatXLSX, err
	case len(head) >= 8 && string(head) == oleMagic:
		data, _ := readAllLimit(br, DefaultLimits.File)
		return nil, "", oleError(name, data)
	}
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".xlsx" || ext == ".xlsm" {
		return nil, "", &Error{File: name, Reason: "is not a valid XLSX workbook (not a zip archive; the file may be truncated or renamed)", Fix: "open it in Excel and save it again as .xlsx, or export it as CSV"}
	}
	if ext == ".ods" || ext == ".numbers" || ext == ".xls" {
		return nil, "", &Error{File: name, Reason: "is a " + ext + " file, which pcreconcile cannot read", Fix: "save it as .xlsx or .csv"}
	}
	closer, _ := r.(io.Closer)
	if closer == nil {
		closer = io.NopCloser(nil)
	}
	rd, err := newCSV(name, closer, br, opts)
	if err != nil {
		return nil, "", err
	}
	return rd, FormatCSV, nil
}

func openHint(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "check the path; it is relative to the current directory"
	case errors.Is(err, os.ErrPermission):
		return "the file is not readable by this user"
	}
	return ""
}

// trimEmpty drops the empty cells at the end of a row: spreadsheets keep
// trailing delimiters and formatted-but-empty cells.
func trimEmpty(vals []string) []string {
	end := len(vals)
	for end > 0 && strings.TrimSpace(vals[end-1]) == "" {
		end--
	}
	return vals[:end]
}

// ColumnName returns the spreadsheet letter(s) of a 0-based column index.
func ColumnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// errorf is an *Error about file.
func errorf(file, hint string, format string, args ...any) *Error {
	return &Error{File: file, Reason: fmt.Sprintf(format, args...), Fix: hint}
}

// readAllLimit reads r fully, refusing more than limit bytes.
func readAllLimit(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return b, nil
}
