// Package book is what every pcreconcile workbook is written with: the
// styles, streamed table sheets with their widths, wrapping, row heights
// and print setup, the Summary sheet's layout, the document properties
// and column order every reader parses, and saving the file whole or not
// at all. The reconciliation report (package report), the candidates
// workbook (candidatebook) and the credits workbook (creditbook) are
// books; each decides its own sheets and columns.
package book

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/atomicfile"
)

// ErrExists is returned when the workbook exists and replacing it was not
// asked for.
var ErrExists = errors.New("report exists")

// Save writes f to path through a synced temporary file — refusing to
// replace an existing file unless force.
func Save(f *excelize.File, a *Archive, path string, force bool) error {
	fill := func(out io.Writer) error {
		// excelize assembles the whole archive in a bytes.Buffer before
		// writing it out — for a million lines over 100 MB, doubled while the
		// buffer grows. Its zip-writer hook lets the archive go straight to
		// the file instead; the buffer it offers stays empty. The Lines sheet
		// is ~1 GB of XML, compressed in one go here: klauspost/compress's
		// fastest level does it in a third of the standard library's time.
		var zerr error
		f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
			z := zip.NewWriter(out)
			z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
				w, err := flate.NewWriter(out, flate.BestSpeed)
				if err != nil {
					zerr = err
				}
				return w, err
			})
			return a.wrap(z)
		})
		n, err := f.WriteTo(io.Discard)
		if err == nil && n != 0 {
			err = fmt.Errorf("excelize wrote %d bytes past the zip writer", n)
		}
		return errors.Join(err, zerr)
	}
	// A report is an ordinary document: readable by others, like any file.
	if force {
		return atomicfile.Write(path, 0o644, fill)
	}
	err := atomicfile.Create(path, 0o644, fill)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	return err
}

// Styles are the cell styles of a book, made once in its file.
type Styles struct {
	Header, Date, DateTime, Wrap, Money, Bold, Title, Left, Sandbox, DateTimeLeft int
	Plan, Signature, Note, Total, TotalMoney, MoneyLeft, WouldMoney               int
	Status                                                                        map[record.Family]int
}

// FamilyColours colour a status by its family: Excel's own Good (done),
// Neutral (to retry) and Bad (needs a person) cell styles, a light blue for
// what a plan would do, grey for rows that asked for nothing.
var FamilyColours = map[record.Family]struct{ Font, Fill string }{
	record.FamilyDone:    {"006100", "C6EFCE"},
	record.FamilyWould:   {"1F4E79", "DDEBF7"},
	record.FamilyRetry:   {"9C5700", "FFEB9C"},
	record.FamilyPerson:  {"9C0006", "FFC7CE"},
	record.FamilyIgnored: {"595959", "EDEDED"},
}

// moneyFormat shows two decimals always, up to four when a unit price has
// them.
const moneyFormat = "#,##0.00##"

func newStyles(f *excelize.File) (*Styles, error) {
	s := &Styles{Status: map[record.Family]int{}}
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.Header = mk(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	dateFmt, dateTimeFmt, moneyFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", moneyFormat
	s.Date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	s.DateTime = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt})
	s.Money = mk(&excelize.Style{CustomNumFmt: &moneyFmt})
	s.MoneyLeft = mk(&excelize.Style{CustomNumFmt: &moneyFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	// What a plan would cancel is money in the would-do colour.
	would := FamilyColours[record.FamilyWould]
	s.WouldMoney = mk(&excelize.Style{CustomNumFmt: &moneyFmt, Font: &excelize.Font{Color: would.Font}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{would.Fill}}})
	for fam, c := range FamilyColours {
		s.Status[fam] = mk(&excelize.Style{Font: &excelize.Font{Color: c.Font}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.Fill}}})
	}
	s.Bold = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}})
	s.Title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	s.Plan = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Color: "1F4E79"}})
	// Wrapped text sits at the bottom of its cell, as every other cell's
	// value does: a row's values read along one line.
	s.Wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true}})
	s.Left = mk(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	s.DateTimeLeft = mk(&excelize.Style{CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	// The SANDBOX banner is red: nothing real happened.
	s.Sandbox = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	s.Note = mk(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.Signature = mk(&excelize.Style{Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	top := []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
	s.Total = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: top})
	s.TotalMoney = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: top, CustomNumFmt: &moneyFmt})
	return s, err
}

// Book is a workbook being written: its file, styles, the parts written in
// excelize's place, and the page header and footer of its tables. The
// reconciliation report and the candidates workbook are books.
type Book struct {
	F       *excelize.File
	Styles  *Styles
	Archive *Archive
	// HeaderFooter heads and numbers every printed page of the tables.
	HeaderFooter *excelize.HeaderFooterOptions
	// Sheets guards the File's sheet structure (its sheet map, workbook
	// and stream writers) while several Sheets stream at once: excelize
	// is not safe for concurrent use, and the Lines and Seal goroutines
	// each start a new sheet when one fills up. Writing rows to a stream
	// writer touches only that writer and needs no lock.
	Sheets *sync.Mutex
}

// New starts a workbook in f.
func New(f *excelize.File, hf *excelize.HeaderFooterOptions) (*Book, error) {
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	return &Book{F: f, Styles: st, Archive: newArchive(f), HeaderFooter: hf, Sheets: new(sync.Mutex)}, nil
}

// Column widths are in characters. Every column is at least as wide as
// its header, up to MaxWidth; a longer header wraps.
const MaxWidth = 60
