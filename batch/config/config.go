// Package config reads pcreconcile.yaml: every key with its default, strict
// (an unknown key, a wrong type or a duplicate key is an error naming its
// line), validated as a whole. Secrets never live in it, only the names of
// the environment variables that hold them. Other tools read these files:
// keys are never renamed.
//
// It also has the flag values the command line overrides keys with.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/internal/safeurl"
)

// Config is pcreconcile.yaml. Every key has a default; unknown
// keys, wrong types and duplicate keys are errors naming the line. Secrets
// never live here, only the names of the environment variables holding them.
type Config struct {
	PartnerCenter PartnerCenter `yaml:"partner_center"`
	Auth          Auth          `yaml:"auth"`
	Run           Run           `yaml:"run"`
	History       History       `yaml:"history"`
	Report        Report        `yaml:"report"`
	Input         Input         `yaml:"input"`
	Sandbox       Sandbox       `yaml:"sandbox"`

	// Path is the file read, "" for none (the defaults: the sandbox).
	Path string
	root *yaml.Node // for the line numbers of semantic errors
}

type PartnerCenter struct {
	Cloud   string   `yaml:"cloud"`
	BaseURL string   `yaml:"base_url"`
	Timeout Duration `yaml:"timeout"`
}

type Auth struct {
	Mode            string `yaml:"mode"`
	TenantID        string `yaml:"tenant_id"`
	ClientID        string `yaml:"client_id"`
	ClientSecretEnv string `yaml:"client_secret_env"`
	TokenEnv        string `yaml:"token_env"`
	RefreshTokenEnv string `yaml:"refresh_token_env"`
	Authority       string `yaml:"authority"`
	TokenURL        string `yaml:"token_url"`
	Resource        string `yaml:"resource"`
	// RefreshTokenFile, when set, receives the refresh token Azure AD rotates
	// (mode refresh_token); by default it is written nowhere.
	RefreshTokenFile string `yaml:"refresh_token_file"`
}

type Run struct {
	Concurrency               int     `yaml:"concurrency"`
	RequestsPerMinute         float64 `yaml:"requests_per_minute"`
	CustomerRequestsPerMinute float64 `yaml:"customer_requests_per_minute"`
	MaxAttempts               int     `yaml:"max_attempts"`
	MaxLines                  int     `yaml:"max_lines"`
	// SettleTimeout is how long a PATCH Partner Center accepted but has
	// not carried out yet (the order pending) is read again.
	SettleTimeout Duration `yaml:"settle_timeout"`
	// MaxRetryAfter caps a Retry-After: one bad header must not stall
	// every worker.
	MaxRetryAfter Duration `yaml:"max_retry_after"`
	// Windows overrides the cancellation window of a product kind
	// (software_subscription, perpetual_software, …), e.g. 30d.
	Windows map[string]Days `yaml:"windows"`
}

// History is the run ledger.
type History struct {
	// Path is the ledger file; "" means pcreconcile/history.csv in the
	// user's config directory. A team points it at a shared folder.
	Path string `yaml:"path"`
}

// Report configures the workbook.
type Report struct {
	// SealKeyEnv names the environment variable holding a key: the seal of
	// every report becomes an HMAC only the key holder can make.
	SealKeyEnv string `yaml:"seal_key_env"`
}

type Input struct {
	Sheet     string              `yaml:"sheet"`
	Delimiter string              `yaml:"delimiter"`
	Columns   map[string][]string `yaml:"columns"`
}

type Sandbox struct {
	State   string   `yaml:"state"`
	Latency Duration `yaml:"latency"`
	Faults  Faults   `yaml:"faults"`
}

// Faults is sandbox.faults: every knob also exists as a flag
// of `pcreconcile sandbox`.
type Faults struct {
	Seed                       int64     `yaml:"seed"`
	Error500                   float64   `yaml:"error_500"`
	Error503                   float64   `yaml:"error_503"`
	Busy                       float64   `yaml:"busy"`
	Drop                       float64   `yaml:"drop"`
	Pending                    float64   `yaml:"pending"`
	PendingDelay               Duration  `yaml:"pending_delay"`
	ThrottleRequestsPerMinute  *float64  `yaml:"throttle_requests_per_minute"`
	ThrottleCustomerPerMinute  float64   `yaml:"throttle_customer_requests_per_minute"`
	ThrottleBurst              int       `yaml:"throttle_burst"`
	ThrottleRetryAfterOverride *Duration `yaml:"throttle_retry_after"`
}

// Duration is a time.Duration written "60s", "1m30s".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 60s, 1m30s)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Days is a length of time written in days ("30d") or as a duration
// ("72h").
type Days time.Duration

func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDays(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*d = Days(v)
	return nil
}

// ParseDays reads "30d", "7d" or a duration such as "72h".
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.ParseFloat(n, 64); err == nil && days >= 0 && days <= 3650 {
			return time.Duration(days * float64(24*time.Hour)), nil
		}
	}
	if v, err := time.ParseDuration(s); err == nil && v >= 0 {
		return v, nil
	}
	return 0, fmt.Errorf("%q is not a length of time (e.g. 30d, 72h)", s)
}

// Cloud presets, from Partner Center's "REST URLs" and Azure's national
// cloud documentation.
var clouds = map[string]struct{ baseURL, authority string }{
	"global": {"https://api.partnercenter.microsoft.com", "https://login.microsoftonline.com"},
	"china":  {"https://partner.partnercenterapi.microsoftonline.cn", "https://login.chinacloudapi.cn"},
}

// SandboxURL is partner_center.base_url for the built-in simulator.
const SandboxURL = "sandbox"

func Default() *Config {
	c := &Config{}
	c.PartnerCenter = PartnerCenter{Cloud: "global", BaseURL: SandboxURL, Timeout: Duration(60 * time.Second)}
	c.Auth = Auth{
		Mode:            "app",
		ClientSecretEnv: "PC_CLIENT_SECRET",
		TokenEnv:        "PC_ACCESS_TOKEN",
		RefreshTokenEnv: "PC_REFRESH_TOKEN",
		Authority:       clouds["global"].authority,
		Resource:        "https://api.partnercenter.microsoft.com",
	}
	c.Run = Run{Concurrency: 8, RequestsPerMinute: 500, MaxAttempts: 6,
		SettleTimeout: Duration(2 * time.Minute), MaxRetryAfter: Duration(5 * time.Minute)}
	c.Input = Input{Delimiter: "auto"}
	return c
}

// Error is a problem with the config file; it exits 2.
type Error struct {
	path string
	line int
	msg  string
	hint string
}

// Hint returns what to do about the error, or "".
func (e *Error) Hint() string { return e.hint }

func (e *Error) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.path, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.path, e.msg)
}

// Load reads path. An empty path means pcreconcile.yaml in the working
// directory if it exists, else the defaults (the sandbox).
func Load(path string) (*Config, error) {
	c := Default()
	explicit := path != ""
	if !explicit {
		path = "pcreconcile.yaml"
	}
	c.Path = path
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			c.Path = ""
			return c, c.validate()
		}
		return nil, &Error{path: path, msg: "cannot read the config: " + err.Error()}
	}
	if err := c.decode(data); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *Config) decode(data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return c.friendlyDecodeError(data, err)
	}
	c.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return c.friendlyDecodeError(data, err)
	}
	return nil
}

// Has reports whether the file sets the dotted key, e.g. "partner_center.cloud".
func (c *Config) Has(key string) bool { return c.node(key) != nil }

// line returns the line of a dotted key in the file, or 0.
func (c *Config) line(key string) int {
	if n := c.node(key); n != nil {
		return n.Line
	}
	return 0
}

func (c *Config) node(key string) *yaml.Node {
	if c.root == nil || len(c.root.Content) == 0 {
		return nil
	}
	n := c.root.Content[0]
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func (c *Config) Errorf(key, hint, format string, args ...any) error {
	path := c.Path
	if path == "" {
		path = "configuration"
	}
	return &Error{path: path, line: c.line(key), msg: key + ": " + fmt.Sprintf(format, args...), hint: hint}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks every key.
func (c *Config) validate() error {
	pc, a, r, in := &c.PartnerCenter, &c.Auth, &c.Run, &c.Input
	preset, ok := clouds[pc.Cloud]
	if !ok {
		return c.Errorf("partner_center.cloud", "", "%q is not a cloud (want global or china)", pc.Cloud)
	}
	// Naming a cloud without a base URL means that cloud's real endpoint; no
	// config at all means the sandbox.
	if c.Has("partner_center.cloud") && !c.Has("partner_center.base_url") {
		pc.BaseURL = preset.baseURL
	}
	if !c.Has("auth.authority") {
		a.Authority = preset.authority
	}
	if pc.BaseURL != SandboxURL {
		if _, err := safeurl.Parse(pc.BaseURL); err != nil {
			return c.Errorf("partner_center.base_url", `use "sandbox" or e.g. https://api.partnercenter.microsoft.com`, "%v", err)
		}
	}
	if pc.Timeout <= 0 {
		return c.Errorf("partner_center.timeout", "", "must be positive")
	}
	switch a.Mode {
	case "app", "token", "refresh_token":
	default:
		return c.Errorf("auth.mode", "", "%q is not an auth mode (want app, token or refresh_token)", a.Mode)
	}
	for key, v := range map[string]string{"auth.client_secret_env": a.ClientSecretEnv, "auth.token_env": a.TokenEnv, "auth.refresh_token_env": a.RefreshTokenEnv} {
		if !envName.MatchString(v) {
			// Never echo the value: it may be a secret pasted in by mistake.
			return c.Errorf(key, "put the secret in an environment variable and its name here, e.g. PC_CLIENT_SECRET", "must be the name of an environment variable (letters, digits, _), not the secret itself")
		}
	}
	if _, err := safeurl.Parse(a.Authority); err != nil {
		return c.Errorf("auth.authority", "", "%v", err)
	}
	if a.TokenURL != "" {
		if _, err := safeurl.Parse(a.TokenURL); err != nil {
			return c.Errorf("auth.token_url", "", "%v", err)
		}
	}
	if _, err := safeurl.Parse(a.Resource); err != nil && !strings.HasPrefix(a.Resource, "api://") {
		return c.Errorf("auth.resource", "", "%v", err)
	}
	if r.Concurrency < 1 || r.Concurrency > 64 {
		return c.Errorf("run.concurrency", "", "%d is out of range 1–64", r.Concurrency)
	}
	if r.RequestsPerMinute <= 0 {
		return c.Errorf("run.requests_per_minute", "", "must be positive (Partner Center allows 500 per minute for orders)")
	}
	if r.CustomerRequestsPerMinute < 0 {
		return c.Errorf("run.customer_requests_per_minute", "", "cannot be negative (0 = no per-customer limit)")
	}
	if r.MaxAttempts < 1 || r.MaxAttempts > 20 {
		return c.Errorf("run.max_attempts", "", "%d is out of range 1–20", r.MaxAttempts)
	}
	if r.MaxLines < 0 {
		return c.Errorf("run.max_lines", "", "cannot be negative (0 = no guard)")
	}
	if r.SettleTimeout <= 0 {
		return c.Errorf("run.settle_timeout", "", "must be positive, e.g. 2m")
	}
	if r.MaxRetryAfter <= 0 {
		return c.Errorf("run.max_retry_after", "", "must be positive, e.g. 5m")
	}
	if _, err := r.WindowRules(); err != nil {
		return c.Errorf("run.windows", "e.g. {perpetual_software: 30d}", "%v", err)
	}
	if env := c.Report.SealKeyEnv; env != "" && !envName.MatchString(env) {
		return c.Errorf("report.seal_key_env", "put the key in an environment variable and its name here, e.g. PC_SEAL_KEY", "must be the name of an environment variable (letters, digits, _), not the key itself")
	}
	if _, err := ParseDelimiter(in.Delimiter); err != nil {
		return c.Errorf("input.delimiter", "", "%v", err)
	}
	return nil
}

// WindowRules are the cancellation windows a run judges deadlines by:
// Partner Center's, with run.windows' overrides.
func (r Run) WindowRules() (deadline.Rules, error) {
	o := map[string]time.Duration{}
	for k, d := range r.Windows {
		o[k] = time.Duration(d)
	}
	return deadline.NewRules(o)
}

// ParseDelimiter reads input.delimiter / --delimiter; 0 means detect.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case ",", ";", "|":
		return rune(s[0]), nil
	}
	return 0, fmt.Errorf("%q is not a delimiter (want auto, \",\", \";\", \"|\" or tab)", s)
}

// IsSandbox reports whether the endpoint is the built-in simulator.
func (c *Config) IsSandbox() bool { return c.PartnerCenter.BaseURL == SandboxURL }

// TokenURL is auth.token_url, or Azure AD v1's {authority}/{tenant}/oauth2/token.
func (c *Config) TokenURL() string {
	if c.Auth.TokenURL != "" {
		return c.Auth.TokenURL
	}
	return strings.TrimSuffix(c.Auth.Authority, "/") + "/" + c.Auth.TenantID + "/oauth2/token"
}

// StatePath is where the sandbox keeps its state between runs:
// sandbox.state, or the user's cache directory.
func (c *Config) StatePath() string {
	if c.Sandbox.State != "" {
		return c.Sandbox.State
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "pcreconcile", "sandbox-state.json")
}

// NewError is an error about the config at path (a variable it names, a
// file it points to) found after it was read.
func NewError(path, msg, hint string) *Error { return &Error{path: path, msg: msg, hint: hint} }

// RateText is the pace a run goes at, as the Summary says it.
func (c *Config) RateText() string {
	s := fmt.Sprintf("%g requests/minute", c.Run.RequestsPerMinute)
	if n := c.Run.CustomerRequestsPerMinute; n > 0 {
		s += fmt.Sprintf(", %g per customer", n)
	}
	return s
}
