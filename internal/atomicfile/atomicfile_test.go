package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// entries lists dir: a temporary file left behind shows up here.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteReplacesWithPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, want := range []string{"first", "second"} {
		if err := Write(path, 0o600, writeString(want)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only state.json", names)
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xlsx")
	if err := Create(path, 0o644, writeString("mine")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi == nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("created %v, want mode 0644", fi)
	}
	err := Create(path, 0o644, writeString("theirs"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "mine" {
		t.Errorf("existing file now holds %q", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only report.xlsx", names)
	}
}

func TestFailedFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xlsx")
	if err := Write(path, 0o644, writeString("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	for name, write := range map[string]func(string, fs.FileMode, func(io.Writer) error) error{"Write": Write, "Create": Create} {
		err := write(path, 0o644, func(w io.Writer) error {
			io.WriteString(w, "half a file")
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("%s: %v, want the writer's error", name, err)
		}
		if got, _ := os.ReadFile(path); string(got) != "old" {
			t.Errorf("%s: the target now holds %q", name, got)
		}
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only report.xlsx", names)
	}
}
