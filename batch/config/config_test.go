package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCloudPresets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	load := func(yaml string) *Config {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(yaml), 0o644)
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load("")
	if !cfg.IsSandbox() || cfg.Auth.Authority != "https://login.microsoftonline.com" {
		t.Errorf("no config: %+v", cfg.PartnerCenter)
	}
	cfg = load("partner_center:\n  cloud: china\n")
	if cfg.PartnerCenter.BaseURL != "https://partner.partnercenterapi.microsoftonline.cn" || cfg.Auth.Authority != "https://login.chinacloudapi.cn" {
		t.Errorf("china: %s %s", cfg.PartnerCenter.BaseURL, cfg.Auth.Authority)
	}
	cfg = load("partner_center:\n  cloud: global\n")
	if cfg.PartnerCenter.BaseURL != "https://api.partnercenter.microsoft.com" {
		t.Errorf("global: %s", cfg.PartnerCenter.BaseURL)
	}
	cfg = load("partner_center:\n  cloud: china\n  base_url: https://proxy.example.com\nauth:\n  authority: https://login.example.com\n  tenant_id: t\n")
	if cfg.PartnerCenter.BaseURL != "https://proxy.example.com" || cfg.Auth.Authority != "https://login.example.com" || cfg.TokenURL() != "https://login.example.com/t/oauth2/token" {
		t.Errorf("explicit values must win: %s %s %s", cfg.PartnerCenter.BaseURL, cfg.Auth.Authority, cfg.TokenURL())
	}
}

// Unknown keys, wrong types and duplicate keys are errors naming the line;
// a value that is a secret pasted in by mistake is never echoed.
func TestStrictKeysNameTheLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for yaml, want := range map[string]string{
		"run:\n  concurrency: 4\n  bogus: 1\n":                `line 3: unknown key "bogus" in run`,
		"run:\n  concurrency: many\n":                         "line 2",
		"run:\n  concurrency: 2\n  concurrency: 3\n":          "line 3",
		"run:\n  concurrency: 99\n":                           "line 2: run.concurrency: 99 is out of range 1–64",
		"auth:\n  client_secret_env: \"Qm8Q~s3cr3t value\"\n": "line 2: auth.client_secret_env: must be the name of an environment variable",
		"sandbox:\n  latency: soon\n":                         `"soon" is not a duration`,
		"run:\n  windows: {perpetual: 30d}\n":                 `line 2: run.windows: unknown product kind "perpetual" (the kinds: software_subscription, perpetual_software, azure_plan, other)`,
	} {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(yaml), 0o644)
		_, err := Load(path)
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: err = %v, want %q", yaml, err, want)
		}
	}
}

func TestFlagValuesKnowWhetherTheyWereGiven(t *testing.T) {
	t.Parallel()
	var n Int
	var f Float
	var d DurationFlag
	if n.String() != "" || n.Given {
		t.Error("an unset flag shows a default")
	}
	if n.Set("0") != nil || !n.Given || n.Value != 0 || f.Set("2.5") != nil || f.Value != 2.5 || d.Set("200ms") != nil || d.Value.Milliseconds() != 200 {
		t.Errorf("set: %+v %+v %+v", n, f, d)
	}
	for _, err := range []error{n.Set("x"), f.Set("fast"), d.Set("-1s")} {
		if err == nil {
			t.Error("a bad value was accepted")
		}
	}
}

// The example the README points at is a valid config, every key in it.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.IsSandbox() || cfg.Run.SettleTimeout != Duration(2*time.Minute) || cfg.Run.MaxRetryAfter != Duration(5*time.Minute) {
		t.Errorf("defaults: %+v", cfg.Run)
	}
	for _, key := range []string{"run.settle_timeout", "run.max_retry_after", "run.windows", "history.path", "report.seal_key_env", "sandbox.faults.pending"} {
		if !cfg.Has(key) {
			t.Errorf("config.example.yaml does not show %s", key)
		}
	}
}

// Each mistake a person makes in the file gets the key, what it wants and
// what to do — never the YAML library's words, never a secret echoed.
func TestConfigMessagesAFinanceUserCanActOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct{ yaml, msg, hint string }{
		{"run:\n  concurrency: many\n", `line 2: run.concurrency: "many" is not a whole number`, "config.example.yaml"},
		{"run:\n\tconcurrency: 4\n", "line 2: the line is indented with a tab; YAML is indented with spaces only", "replace the tab with spaces"},
		{"auth:\n  client_secret: Qm8Q~s3cr3tvalue\n", "line 2: auth.client_secret: secrets never go in the config file", "name the variable with client_secret_env"},
		{"run:\n  concurency: 4\n", `line 2: unknown key "concurency" in run — did you mean "concurrency"?`, "the keys in run: concurrency"},
		{"bogus: 1\n", `line 1: unknown key "bogus" at the top level`, "partner_center, auth, run"},
		{"run:\n  windows: 30d\n", `line 2: run.windows: "30d" is not a group of keys`, ""},
		{"partner_center:\n  base_url: [a, b]\n", "line 2: partner_center.base_url: a list is not a single value", ""},
		{"run:\n  concurrency: 4\n   bad: x\n", "line 3: this is not valid YAML", "compare the file with config.example.yaml"},
	} {
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		_, err := Load(path)
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(ce.Hint(), tt.hint) {
			t.Errorf("%q:\n  got  %v (hint %q)\n  want %q (hint %q)", tt.yaml, err, hintOf(ce), tt.msg, tt.hint)
		}
		if strings.Contains(err.Error()+hintOf(ce), "s3cr3t") || strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "!!") {
			t.Errorf("%q: %v", tt.yaml, err)
		}
	}
}

func hintOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Hint()
}
