package book

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Some parts of the archive excelize writes in a form not every reader
// takes, and cannot be told otherwise; they are written here, as the
// archive goes to the file:
//
//   - the document properties (docProps/core.xml and app.xml): excelize
//     writes the core properties' own elements without their cp: prefix,
//     which ExcelJS refuses ("Unexpected xml node in parseOpen:
//     keywords"), and takes AppVersion as given, where the standard wants
//     XX.YYYY;
//   - the <cols> element of each sheet: excelize lists its columns in the
//     reverse of the order they were set, and splitting a run of columns
//     costs it time quadratic in the columns already set; readers expect
//     them in column order, without overlaps. The table sheets' columns
//     are given here, in order; other sheets' are sorted.

// columnSpec is one column's width (in characters) and style (0 for none).
type columnSpec struct {
	width float64
	style int
}

// colsXML is the <cols> element of columns in order, a run of columns
// alike as one element.
func colsXML(cols []columnSpec) []byte {
	var b bytes.Buffer
	b.WriteString("<cols>")
	for i := 0; i < len(cols); {
		j := i
		for j+1 < len(cols) && cols[j+1] == cols[i] {
			j++
		}
		fmt.Fprintf(&b, `<col min="%d" max="%d" width="%s" customWidth="1"`, i+1, j+1, strconv.FormatFloat(cols[i].width, 'f', -1, 64))
		if cols[i].style != 0 {
			fmt.Fprintf(&b, ` style="%d"`, cols[i].style)
		}
		b.WriteString("/>")
		i = j + 1
	}
	b.WriteString("</cols>")
	return b.Bytes()
}

// Archive holds what the zip writer writes in excelize's place.
type Archive struct {
	f     *excelize.File
	parts map[string][]byte // archive path → its content, instead of excelize's
	Cols  map[string][]byte // sheet name → its <cols> element
	paths map[string]string // archive path → sheet name, read from the workbook
}

func newArchive(f *excelize.File) *Archive {
	return &Archive{f: f, parts: map[string][]byte{}, Cols: map[string][]byte{}}
}

// wrap returns a zip writer that writes the archive's parts in place of
// excelize's and each worksheet with its columns in order.
func (a *Archive) wrap(z excelize.ZipWriter) excelize.ZipWriter {
	return &fixingZip{ZipWriter: z, a: a}
}

type fixingZip struct {
	excelize.ZipWriter
	a    *Archive
	open *colsFixer // the worksheet being written, until its columns are
}

func (z *fixingZip) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	w, err := z.ZipWriter.Create(name)
	if err != nil {
		return nil, err
	}
	if part, ok := z.a.parts[name]; ok {
		if _, err := w.Write(part); err != nil {
			return nil, err
		}
		return io.Discard, nil
	}
	if strings.HasPrefix(name, "xl/worksheets/") && path.Ext(name) == ".xml" {
		sheet, err := z.a.sheetOf(name)
		if err != nil {
			return nil, err
		}
		z.open = &colsFixer{w: w, cols: z.a.Cols[sheet]}
		return z.open, nil
	}
	return w, nil
}

func (z *fixingZip) AddFS(fsys fs.FS) error {
	if err := z.finish(); err != nil {
		return err
	}
	return z.ZipWriter.AddFS(fsys)
}

func (z *fixingZip) Close() error {
	return errors.Join(z.finish(), z.ZipWriter.Close())
}

func (z *fixingZip) finish() error {
	if z.open == nil {
		return nil
	}
	err := z.open.close()
	z.open = nil
	return err
}

// sheetOf names the sheet at an archive path, from the workbook and its
// relationships (written to the package before any worksheet).
func (a *Archive) sheetOf(name string) (string, error) {
	if a.paths == nil {
		var wb struct {
			Sheets []struct {
				Name string `xml:"name,attr"`
				ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
			} `xml:"sheets>sheet"`
		}
		var rels struct {
			Rels []struct {
				ID     string `xml:"Id,attr"`
				Target string `xml:"Target,attr"`
			} `xml:"Relationship"`
		}
		for part, v := range map[string]any{"xl/workbook.xml": &wb, "xl/_rels/workbook.xml.rels": &rels} {
			b, ok := a.f.Pkg.Load(part)
			if !ok {
				return "", fmt.Errorf("report: %s is not in the package", part)
			}
			if err := xml.Unmarshal(b.([]byte), v); err != nil {
				return "", fmt.Errorf("report: %s: %w", part, err)
			}
		}
		target := map[string]string{}
		for _, r := range rels.Rels {
			target[r.ID] = path.Join("xl", strings.TrimPrefix(r.Target, "/xl/"))
		}
		a.paths = map[string]string{}
		for _, s := range wb.Sheets {
			a.paths[target[s.ID]] = s.Name
		}
	}
	return a.paths[name], nil
}

// colsFixer passes a worksheet through, its <cols> element replaced by the
// given one, or sorted when none is given. The element precedes
// <sheetData>, within the first kilobytes.
type colsFixer struct {
	w    io.Writer
	cols []byte
	head []byte
	done bool
}

// maxHead bounds the part of a worksheet held before its <sheetData>: its
// views, properties and the columns of a sheet 16,384 columns wide.
const maxHead = 8 << 20

var sheetData = []byte("<sheetData")

func (c *colsFixer) Write(p []byte) (int, error) {
	if c.done {
		return c.w.Write(p)
	}
	c.head = append(c.head, p...)
	i := bytes.Index(c.head, sheetData)
	if i < 0 {
		if len(c.head) > maxHead {
			return 0, errors.New("report: a worksheet's <sheetData> is not where it should be")
		}
		return len(p), nil
	}
	if err := c.flush(i); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes the head up to at with its columns fixed, then the rest.
func (c *colsFixer) flush(at int) error {
	head, rest := c.head[:at], c.head[at:]
	var cols []byte
	if s, e := bytes.Index(head, []byte("<cols>")), bytes.Index(head, []byte("</cols>")); s >= 0 && e > s {
		cols = sortCols(head[s : e+len("</cols>")])
		head = append(head[:s:s], head[e+len("</cols>"):]...)
	}
	if c.cols != nil {
		cols = c.cols
	}
	c.done = true
	for _, b := range [][]byte{head, cols, rest} {
		if _, err := c.w.Write(b); err != nil {
			return err
		}
	}
	c.head = nil
	return nil
}

func (c *colsFixer) close() error {
	if c.done {
		return nil
	}
	_, err := c.w.Write(c.head) // no sheet data: nothing to fix
	return err
}

var colElem = regexp.MustCompile(`<col [^>]*?min="(\d+)"[^>]*?(?:/>|></col>)`)

// sortCols orders the <col> elements of a <cols> element by column (none
// for an element without any: <cols> must hold one).
func sortCols(cols []byte) []byte {
	elems := colElem.FindAllSubmatch(cols, -1)
	if len(elems) == 0 {
		return nil
	}
	slices.SortStableFunc(elems, func(a, b [][]byte) int {
		x, _ := strconv.Atoi(string(a[1]))
		y, _ := strconv.Atoi(string(b[1]))
		return x - y
	})
	out := []byte("<cols>")
	for _, e := range elems {
		out = append(out, e[0]...)
	}
	return append(out, "</cols>"...)
}

// Document properties, with the prefixes the standard gives them.
type coreProps struct {
	XMLName        xml.Name `xml:"cp:coreProperties"`
	CP             string   `xml:"xmlns:cp,attr"`
	DC             string   `xml:"xmlns:dc,attr"`
	DCTerms        string   `xml:"xmlns:dcterms,attr"`
	DCMIType       string   `xml:"xmlns:dcmitype,attr"`
	XSI            string   `xml:"xmlns:xsi,attr"`
	Title          string   `xml:"dc:title"`
	Subject        string   `xml:"dc:subject"`
	Creator        string   `xml:"dc:creator"`
	Keywords       string   `xml:"cp:keywords"`
	Description    string   `xml:"dc:description"`
	LastModifiedBy string   `xml:"cp:lastModifiedBy"`
	Identifier     string   `xml:"dc:identifier"`
	Created        w3cdtf   `xml:"dcterms:created"`
	Modified       w3cdtf   `xml:"dcterms:modified"`
}

type w3cdtf struct {
	Type string `xml:"xsi:type,attr"`
	At   string `xml:",chardata"`
}

type appProps struct {
	XMLName     xml.Name `xml:"Properties"`
	NS          string   `xml:"xmlns,attr"`
	VT          string   `xml:"xmlns:vt,attr"`
	Application string   `xml:"Application"`
	DocSecurity int      `xml:"DocSecurity"`
	ScaleCrop   bool     `xml:"ScaleCrop"`
	Company     string   `xml:"Company"`
	AppVersion  string   `xml:"AppVersion"`
}

// DocInfo is what a workbook's document properties say.
type DocInfo struct {
	Title, Subject, Version, Description, Identifier, Keywords string
}

// Props writes the document properties of d, created at now.
func (a *Archive) Props(d DocInfo, now time.Time) error {
	stamp := now.UTC().Format(time.RFC3339)
	at := w3cdtf{Type: "dcterms:W3CDTF", At: stamp}
	core, err := xml.Marshal(coreProps{
		CP:             "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
		DC:             "http://purl.org/dc/elements/1.1/",
		DCTerms:        "http://purl.org/dc/terms/",
		DCMIType:       "http://purl.org/dc/dcmitype/",
		XSI:            "http://www.w3.org/2001/XMLSchema-instance",
		Title:          d.Title,
		Subject:        d.Subject,
		Creator:        "pcreconcile " + d.Version,
		Keywords:       d.Keywords,
		Description:    d.Description,
		LastModifiedBy: "pcreconcile " + d.Version,
		Identifier:     d.Identifier,
		Created:        at,
		Modified:       at,
	})
	if err != nil {
		return err
	}
	app, err := xml.Marshal(appProps{
		NS:          "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
		VT:          "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
		Application: "pcreconcile",
		AppVersion:  appVersion(d.Version),
	})
	if err != nil {
		return err
	}
	a.parts["docProps/core.xml"] = append([]byte(xml.Header), core...)
	a.parts["docProps/app.xml"] = append([]byte(xml.Header), app...)
	return nil
}

// appVersion is a version in the XX.YYYY form of the standard: major and
// minor of a release ("v1.4.2" is "01.0004"), 00.0000 for a development
// build or anything else.
func appVersion(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) >= 2 {
		major, err1 := strconv.Atoi(parts[0])
		minor, err2 := strconv.Atoi(parts[1])
		if err1 == nil && err2 == nil && major >= 0 && major < 100 && minor >= 0 && minor < 10000 && !strings.Contains(v, "-") {
			return fmt.Sprintf("%02d.%04d", major, minor)
		}
	}
	return "00.0000"
}
