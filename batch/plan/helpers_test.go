package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// The plan's own tests cannot use plantest, which imports this package.

const (
	cA = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"
	cB = "b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readPlan(t *testing.T, csv string) *Plan {
	t.Helper()
	h, _ := NewHeaders(nil)
	p, err := ReadFile(writeFile(t, "in.csv", csv), ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
