package book

import (
	"strings"
	"testing"
)

func TestAppVersion(t *testing.T) {
	for v, want := range map[string]string{
		"v1.4.2": "01.0004", "v0.12.0": "00.0012", "1.0.0": "01.0000", "dev": "00.0000",
		"v0.0.0-20261201093000-abcdef123456": "00.0000", "v1.2.3-rc.1": "00.0000", "v123.1.0": "00.0000", "": "00.0000",
	} {
		if got := appVersion(v); got != want {
			t.Errorf("appVersion(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestTextLines(t *testing.T) {
	for _, tt := range []struct {
		text  string
		width float64
		want  int
	}{
		{"", 10, 1}, {"short", 10, 1}, {"123456789", 10, 1}, {"1234567890", 10, 2},
		{strings.Repeat("x", 95), 48, 3}, {"a\nb\nc", 48, 3}, {"ü", 1, 1},
	} {
		if got := TextLines(tt.text, tt.width); got != tt.want {
			t.Errorf("textLines(%q, %g) = %d, want %d", tt.text, tt.width, got, tt.want)
		}
	}
}
