package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// config is pcreconcile.yaml. Every key has a default; unknown
// keys, wrong types and duplicate keys are errors naming the line. Secrets
// never live here, only the names of the environment variables holding them.
type config struct {
	PartnerCenter partnerCenterConfig `yaml:"partner_center"`
	Auth          authConfig          `yaml:"auth"`
	Run           runConfig           `yaml:"run"`
	Input         inputConfig         `yaml:"input"`
	Sandbox       sandboxConfig       `yaml:"sandbox"`

	path string
	root *yaml.Node // for the line numbers of semantic errors
}

type partnerCenterConfig struct {
	Cloud   string   `yaml:"cloud"`
	BaseURL string   `yaml:"base_url"`
	Timeout duration `yaml:"timeout"`
}

type authConfig struct {
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

type runConfig struct {
	Concurrency               int     `yaml:"concurrency"`
	RequestsPerMinute         float64 `yaml:"requests_per_minute"`
	CustomerRequestsPerMinute float64 `yaml:"customer_requests_per_minute"`
	MaxAttempts               int     `yaml:"max_attempts"`
	MaxLines                  int     `yaml:"max_lines"`
}

type inputConfig struct {
	Sheet     string              `yaml:"sheet"`
	Delimiter string              `yaml:"delimiter"`
	Columns   map[string][]string `yaml:"columns"`
}

type sandboxConfig struct {
	State   string       `yaml:"state"`
	Latency duration     `yaml:"latency"`
	Faults  faultsConfig `yaml:"faults"`
}

// faultsConfig is sandbox.faults: every knob also exists as a flag
// of `pcreconcile sandbox`.
type faultsConfig struct {
	Seed                       int64     `yaml:"seed"`
	Error500                   float64   `yaml:"error_500"`
	Error503                   float64   `yaml:"error_503"`
	Busy                       float64   `yaml:"busy"`
	Drop                       float64   `yaml:"drop"`
	ThrottleRequestsPerMinute  *float64  `yaml:"throttle_requests_per_minute"`
	ThrottleCustomerPerMinute  float64   `yaml:"throttle_customer_requests_per_minute"`
	ThrottleBurst              int       `yaml:"throttle_burst"`
	ThrottleRetryAfterOverride *duration `yaml:"throttle_retry_after"`
}

// duration is a time.Duration written "60s", "1m30s".
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 60s, 1m30s)", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

// Cloud presets, from Partner Center's "REST URLs" and Azure's national
// cloud documentation.
var clouds = map[string]struct{ baseURL, authority string }{
	"global": {"https://api.partnercenter.microsoft.com", "https://login.microsoftonline.com"},
	"china":  {"https://partner.partnercenterapi.microsoftonline.cn", "https://login.chinacloudapi.cn"},
}

const sandboxURL = "sandbox"

func defaultConfig() *config {
	c := &config{}
	c.PartnerCenter = partnerCenterConfig{Cloud: "global", BaseURL: sandboxURL, Timeout: duration(60 * time.Second)}
	c.Auth = authConfig{
		Mode:            "app",
		ClientSecretEnv: "PC_CLIENT_SECRET",
		TokenEnv:        "PC_ACCESS_TOKEN",
		RefreshTokenEnv: "PC_REFRESH_TOKEN",
		Authority:       clouds["global"].authority,
		Resource:        "https://api.partnercenter.microsoft.com",
	}
	c.Run = runConfig{Concurrency: 8, RequestsPerMinute: 500, MaxAttempts: 6}
	c.Input = inputConfig{Delimiter: "auto"}
	return c
}

// configError is a problem with the config file; it exits 2.
type configError struct {
	path string
	line int
	msg  string
	hint string
}

// Hint returns what to do about the error, or "".
func (e *configError) Hint() string { return e.hint }

func (e *configError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.path, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.path, e.msg)
}

// loadConfig reads path. An empty path means pcreconcile.yaml in the working
// directory if it exists, else the defaults (the sandbox).
func loadConfig(path string) (*config, error) {
	c := defaultConfig()
	explicit := path != ""
	if !explicit {
		path = "pcreconcile.yaml"
	}
	c.path = path
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			c.path = ""
			return c, c.validate()
		}
		return nil, &configError{path: path, msg: "cannot read the config: " + err.Error()}
	}
	if err := c.decode(data); err != nil {
		return nil, err
	}
	return c, c.validate()
}

var (
	unknownKey = regexp.MustCompile(`field (\S+) not found in type main\.(\w+)`)
	sections   = map[string]string{
		"config": "at the top level", "partnerCenterConfig": "in partner_center", "authConfig": "in auth",
		"runConfig": "in run", "inputConfig": "in input", "sandboxConfig": "in sandbox", "faultsConfig": "in sandbox.faults",
	}
)

func (c *config) decode(data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return &configError{path: c.path, msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
		msg = strings.ReplaceAll(msg, "\n  ", "; ")
		msg = unknownKey.ReplaceAllStringFunc(msg, func(m string) string {
			sub := unknownKey.FindStringSubmatch(m)
			return fmt.Sprintf("unknown key %q %s", sub[1], sections[sub[2]])
		})
		return &configError{path: c.path, msg: msg, hint: "see config.example.yaml for every key"}
	}
	return nil
}

// has reports whether the file sets the dotted key, e.g. "partner_center.cloud".
func (c *config) has(key string) bool { return c.node(key) != nil }

// line returns the line of a dotted key in the file, or 0.
func (c *config) line(key string) int {
	if n := c.node(key); n != nil {
		return n.Line
	}
	return 0
}

func (c *config) node(key string) *yaml.Node {
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

func (c *config) errorf(key, hint, format string, args ...any) error {
	path := c.path
	if path == "" {
		path = "configuration"
	}
	return &configError{path: path, line: c.line(key), msg: key + ": " + fmt.Sprintf(format, args...), hint: hint}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks every key.
func (c *config) validate() error {
	pc, a, r, in := &c.PartnerCenter, &c.Auth, &c.Run, &c.Input
	preset, ok := clouds[pc.Cloud]
	if !ok {
		return c.errorf("partner_center.cloud", "", "%q is not a cloud (want global or china)", pc.Cloud)
	}
	// Naming a cloud without a base URL means that cloud's real endpoint; no
	// config at all means the sandbox.
	if c.has("partner_center.cloud") && !c.has("partner_center.base_url") {
		pc.BaseURL = preset.baseURL
	}
	if !c.has("auth.authority") {
		a.Authority = preset.authority
	}
	if pc.BaseURL != sandboxURL {
		if _, err := pcclient.CheckURL(pc.BaseURL); err != nil {
			return c.errorf("partner_center.base_url", `use "sandbox" or e.g. https://api.partnercenter.microsoft.com`, "%v", err)
		}
	}
	if pc.Timeout <= 0 {
		return c.errorf("partner_center.timeout", "", "must be positive")
	}
	switch a.Mode {
	case "app", "token", "refresh_token":
	default:
		return c.errorf("auth.mode", "", "%q is not an auth mode (want app, token or refresh_token)", a.Mode)
	}
	for key, v := range map[string]string{"auth.client_secret_env": a.ClientSecretEnv, "auth.token_env": a.TokenEnv, "auth.refresh_token_env": a.RefreshTokenEnv} {
		if !envName.MatchString(v) {
			// Never echo the value: it may be a secret pasted in by mistake.
			return c.errorf(key, "put the secret in an environment variable and its name here, e.g. PC_CLIENT_SECRET", "must be the name of an environment variable (letters, digits, _), not the secret itself")
		}
	}
	if _, err := pcclient.CheckURL(a.Authority); err != nil {
		return c.errorf("auth.authority", "", "%v", err)
	}
	if a.TokenURL != "" {
		if _, err := pcclient.CheckURL(a.TokenURL); err != nil {
			return c.errorf("auth.token_url", "", "%v", err)
		}
	}
	if _, err := pcclient.CheckURL(a.Resource); err != nil && !strings.HasPrefix(a.Resource, "api://") {
		return c.errorf("auth.resource", "", "%v", err)
	}
	if r.Concurrency < 1 || r.Concurrency > 64 {
		return c.errorf("run.concurrency", "", "%d is out of range 1–64", r.Concurrency)
	}
	if r.RequestsPerMinute <= 0 {
		return c.errorf("run.requests_per_minute", "", "must be positive (Partner Center allows 500 per minute for orders)")
	}
	if r.CustomerRequestsPerMinute < 0 {
		return c.errorf("run.customer_requests_per_minute", "", "cannot be negative (0 = no per-customer limit)")
	}
	if r.MaxAttempts < 1 || r.MaxAttempts > 20 {
		return c.errorf("run.max_attempts", "", "%d is out of range 1–20", r.MaxAttempts)
	}
	if r.MaxLines < 0 {
		return c.errorf("run.max_lines", "", "cannot be negative (0 = no guard)")
	}
	if _, err := parseDelimiter(in.Delimiter); err != nil {
		return c.errorf("input.delimiter", "", "%v", err)
	}
	if _, err := batch.NewHeaders(in.Columns); err != nil {
		return c.errorf("input.columns", "", "%v", err)
	}
	if err := c.faults().Validate(); err != nil {
		return c.errorf("sandbox.faults", "", "%v", err)
	}
	return nil
}

// parseDelimiter reads input.delimiter / --delimiter; 0 means detect.
func parseDelimiter(s string) (rune, error) {
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

// sandbox reports whether the endpoint is the built-in simulator.
func (c *config) sandbox() bool { return c.PartnerCenter.BaseURL == sandboxURL }

// faults turns sandbox.faults into the simulator's settings.
func (c *config) faults() sandbox.Faults {
	f := c.Sandbox.Faults
	out := sandbox.Faults{Seed: f.Seed, Error500: f.Error500, Error503: f.Error503, Busy: f.Busy, Drop: f.Drop, Throttle: sandbox.DefaultThrottle}
	if f.ThrottleRequestsPerMinute != nil {
		out.Throttle.RequestsPerMinute = *f.ThrottleRequestsPerMinute
	}
	out.Throttle.CustomerRequestsPerMinute = f.ThrottleCustomerPerMinute
	out.Throttle.Burst = f.ThrottleBurst
	if f.ThrottleRetryAfterOverride != nil {
		d := time.Duration(*f.ThrottleRetryAfterOverride)
		out.Throttle.RetryAfter = &d
	}
	return out
}

// tokenURL is auth.token_url, or Azure AD v1's {authority}/{tenant}/oauth2/token.
func (c *config) tokenURL() string {
	if c.Auth.TokenURL != "" {
		return c.Auth.TokenURL
	}
	return strings.TrimSuffix(c.Auth.Authority, "/") + "/" + c.Auth.TenantID + "/oauth2/token"
}
