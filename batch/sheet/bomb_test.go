package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// small are limits scaled down a thousandfold, so that the bombs the tests
// build stay a few KB.
var small = Limits{Total: 2 << 20, Ratio: 100, Floor: 64 << 10, Part: 32 << 10, Spill: 16 << 10}

// listXLSX is a workbook with a header and two rows.
func listXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Customer", "Order", "Line"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"c1", "o1", 0})
	f.SetSheetRow("Sheet1", "A3", &[]any{"c2", "o2", 1})
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rezip copies an archive, passing each part through edit (nil drops the
// part) and adding the parts of extra.
func rezip(t *testing.T, src []byte, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	add := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			data = edit(f.Name, data)
		}
		if data != nil {
			add(f.Name, data)
		}
	}
	for name, data := range extra {
		add(name, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// isolateTemp points $TMPDIR at a fresh folder and returns a function that
// lists what is left in it.
func isolateTemp(t *testing.T) func() []string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return func() []string {
		var left []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if p != dir {
				left = append(left, strings.TrimPrefix(p, dir))
			}
			return nil
		})
		return left
	}
}

func TestXLSXBombsAreRefusedNamingThePart(t *testing.T) {
	leftovers := isolateTemp(t)
	list := listXLSX(t)
	padSheet := func(name string, data []byte) []byte {
		if name != "xl/worksheets/sheet1.xml" {
			return data
		}
		// Whitespace after the rows: valid XML, a thousandfold compression.
		i := bytes.Index(data, []byte("</sheetData>"))
		return append(append(append([]byte{}, data[:i]...), bytes.Repeat([]byte(" "), 4<<20)...), data[i:]...)
	}
	padStyles := func(name string, data []byte) []byte {
		if name != "xl/styles.xml" {
			return data
		}
		i := bytes.LastIndex(data, []byte("</styleSheet>"))
		return append(append(append([]byte{}, data[:i]...), bytes.Repeat([]byte("<!-- x -->"), 100<<10)...), data[i:]...)
	}
	many := map[string][]byte{}
	for i := range 40 {
		many["xl/worksheets/sheet"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+".xml"] = make([]byte, 60<<10)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"huge styles", rezip(t, list, padStyles, nil), "its part xl/styles.xml would unpack to 1005.5 KiB"},
		{"huge extra part", rezip(t, list, nil, map[string][]byte{"xl/media/padding.bin": make([]byte, 8<<20)}), "its part xl/media/padding.bin would unpack to 8.0 MiB"},
		{"padded sheet", rezip(t, list, padSheet, nil), "its part xl/worksheets/sheet1.xml would unpack to 4.0 MiB"},
		{"many parts", rezip(t, list, nil, many), "its parts would unpack to"},
	}
	for _, tt := range tests {
		path := write(t, "bomb.xlsx", tt.data)
		r, _, err := Open(path, Options{IsHeader: isHeader, Limits: small})
		if err == nil {
			r.Close()
		}
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Reason, tt.want) || !strings.Contains(se.Reason, "zip bomb") || se.Fix == "" {
			t.Errorf("%s (%d bytes): err = %v, want %q", tt.name, len(tt.data), err, tt.want)
		}
		if _, err := OpenWorkbook(path, small); err == nil {
			t.Errorf("%s: OpenWorkbook accepted it", tt.name)
		}
	}
	if left := leftovers(); len(left) > 0 {
		t.Errorf("left in $TMPDIR: %v", left)
	}
	// Within the limits the same workbook reads.
	got, _ := readAll(t, write(t, "list.xlsx", list), Options{Limits: small})
	if len(got) != 3 || got[2].texts[1] != "o2" {
		t.Errorf("rows = %v", got)
	}
}

func TestXLSXDamagedPartIsAnError(t *testing.T) {
	// excelize reads what a broken part gives before it fails; the rows after
	// the damage would be lost without a word.
	list := listXLSX(t)
	forge := func(size func(n int) uint64, crc func(data []byte) uint32) []byte {
		zr, _ := zip.NewReader(bytes.NewReader(list), int64(len(list)))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			if f.Name != "xl/worksheets/sheet1.xml" {
				w, _ := zw.Create(f.Name)
				w.Write(data)
				continue
			}
			var packed bytes.Buffer
			fw, _ := flate.NewWriter(&packed, flate.BestCompression)
			fw.Write(data)
			fw.Close()
			w, _ := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc(data),
				CompressedSize64: uint64(packed.Len()), UncompressedSize64: size(len(data))})
			w.Write(packed.Bytes())
		}
		zw.Close()
		return out.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"longer than declared", forge(func(n int) uint64 { return uint64(n / 2) }, crc32.ChecksumIEEE), "unpacks to more than the archive says"},
		{"shorter than declared", forge(func(n int) uint64 { return uint64(n + 10) }, crc32.ChecksumIEEE), "unpacks to less than the archive says"},
		{"bad checksum", forge(func(n int) uint64 { return uint64(n) }, func([]byte) uint32 { return 42 }), "checksum does not match"},
	}
	for _, tt := range tests {
		_, _, err := Open(write(t, "damaged.xlsx", tt.data), Options{IsHeader: isHeader, Limits: small})
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Reason, "is damaged: its part xl/worksheets/sheet1.xml cannot be unpacked") || !strings.Contains(se.Reason, tt.want) {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestXLSXTemporaryFilesAreRemoved(t *testing.T) {
	leftovers := isolateTemp(t)
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Customer", "Order", "Line"})
	for i := 2; i < 2000; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		f.SetSheetRow("Sheet1", cell, &[]any{"c1", "o1", i})
	}
	b, _ := f.WriteToBuffer()
	path := write(t, "big.xlsx", b.Bytes())

	r, _, err := Open(path, Options{IsHeader: isHeader, Limits: small, Typed: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if len(leftovers()) < 2 { // the folder and the sheet spilled into it
		t.Errorf("while reading, $TMPDIR holds %v; want the spilled sheet", leftovers())
	}
	r.Close()
	if left := leftovers(); len(left) > 0 {
		t.Errorf("after Close, left in $TMPDIR: %v", left)
	}
}

func TestXLSXMissingSharedStringsIsNamed(t *testing.T) {
	list := rezip(t, listXLSX(t), func(name string, data []byte) []byte {
		if name == "xl/sharedStrings.xml" {
			return nil
		}
		return data
	}, nil)
	_, _, err := Open(write(t, "nostrings.xlsx", list), Options{IsHeader: isHeader})
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "no shared-strings part (xl/sharedStrings.xml)") {
		t.Errorf("err = %v", err)
	}
}
