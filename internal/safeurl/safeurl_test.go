package safeurl

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://api.partnercenter.microsoft.com", true},
		{"https://partner.partnercenterapi.microsoftonline.cn/", true},
		{"http://127.0.0.1:8089", true},
		{"http://localhost:8089", true},
		{"http://[::1]:8089", true},
		{"http://api.partnercenter.microsoft.com", false},
		{"http://10.0.0.5:8080", false},
		{"ftp://example.com", false},
		{"api.partnercenter.microsoft.com", false},
		{"https://user:pw@example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		_, err := Parse(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q) err = %v, want ok = %v", tt.url, err, tt.ok)
		}
	}
}
