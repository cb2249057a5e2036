package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The YAML library's messages are for programmers ("cannot unmarshal !!str
// `many` into int", "found character that cannot start any token"); a
// finance user gets, instead, the key, what it wants, and what to do.

var (
	unknownKey   = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)
	duplicateKey = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	wrongType    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	sections     = map[string]string{
		"Config": "", "PartnerCenter": "partner_center", "Auth": "auth",
		"Run": "run", "Input": "input", "Sandbox": "sandbox", "Faults": "sandbox.faults",
		"History": "history", "Report": "report",
	}
	// secretKeys are keys that would hold a secret itself: the file names
	// the environment variable that holds it instead.
	secretKeys = map[string]string{
		"client_secret": "client_secret_env", "secret": "client_secret_env", "password": "client_secret_env",
		"token": "token_env", "access_token": "token_env", "refresh_token": "refresh_token_env",
		"seal_key": "seal_key_env", "key": "seal_key_env",
	}
)

// friendlyDecodeError rewrites a decoding error of data as a message the
// user can act on, and its hint.
func (c *Config) friendlyDecodeError(data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if tab := tabIndented(data); tab > 0 {
		return &Error{path: c.Path, line: tab, msg: "the line is indented with a tab; YAML is indented with spaces only",
			hint: "replace the tab with spaces (two per level, as in config.example.yaml)"}
	}
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	first, _, _ := strings.Cut(msg, "\n")
	if m := unknownKey.FindStringSubmatch(first); m != nil {
		return c.unknownKeyError(first, m[1], m[2])
	}
	if m := wrongType.FindStringSubmatch(strings.TrimSpace(first)); m != nil {
		line, _ := strconv.Atoi(m[1])
		key := keyAt(c.root, line)
		given := fmt.Sprintf("%q", m[3])
		switch m[2] {
		case "seq":
			given = "a list"
		case "map":
			given = "a group of keys"
		}
		return &Error{path: c.Path, line: line, msg: fmt.Sprintf("%s: %s is not %s", key, given, typeWant(m[4])),
			hint: "see config.example.yaml for what each key takes"}
	}
	if m := duplicateKey.FindStringSubmatch(first); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{path: c.Path, line: line, msg: fmt.Sprintf("%q is set twice (first on line %s)", m[2], m[3]), hint: "keep one of the two lines"}
	}
	line := 0
	if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(first); m != nil {
		line, _ = strconv.Atoi(m[1])
		first = m[2]
	}
	return &Error{path: c.Path, line: line, msg: "this is not valid YAML: " + first, hint: "compare the file with config.example.yaml"}
}

// unknownKeyError says which key is unknown where, and what was meant: a
// secret that belongs in an environment variable, or the key it is nearest
// to.
func (c *Config) unknownKeyError(text, key, typ string) *Error {
	line := 0
	if m := regexp.MustCompile(`^line (\d+):`).FindStringSubmatch(text); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	section := sections[typ]
	where := "at the top level"
	if section != "" {
		where = "in " + section
	}
	if env, ok := secretKeys[strings.ToLower(key)]; ok {
		// Never echo the value: it is a secret.
		return &Error{path: c.Path, line: line, msg: fmt.Sprintf("%s: secrets never go in the config file", strings.TrimPrefix(section+"."+key, ".")),
			hint: fmt.Sprintf("delete the line, put the secret in an environment variable, and name the variable with %s (e.g. %s: PC_CLIENT_SECRET)", env, env)}
	}
	msg := fmt.Sprintf("unknown key %q %s", key, where)
	known := keysOf(typ)
	if near := nearest(key, known); near != "" {
		return &Error{path: c.Path, line: line, msg: msg + fmt.Sprintf(" — did you mean %q?", near), hint: "the keys " + where + ": " + strings.Join(known, ", ")}
	}
	return &Error{path: c.Path, line: line, msg: msg, hint: "the keys " + where + ": " + strings.Join(known, ", ") + " (config.example.yaml shows every key)"}
}

// tabIndented returns the first line indented with a tab, or 0.
func tabIndented(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
			return i + 1
		}
	}
	return 0
}

// typeWant says what a value of Go type t is, for a person.
func typeWant(t string) string {
	switch {
	case strings.HasPrefix(t, "map"), strings.HasPrefix(t, "config.") && !strings.HasSuffix(t, "Duration") && !strings.HasSuffix(t, "Days"):
		return "a group of keys (key: value lines, indented under it)"
	case strings.HasPrefix(t, "int"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string", strings.HasSuffix(t, "Duration"), strings.HasSuffix(t, "Days"):
		return "a single value (text, or a duration such as 30s or 2m)"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	}
	return "of the type " + t
}

// keyAt is the dotted key whose value is on line of the document.
func keyAt(root *yaml.Node, line int) string {
	var walk func(n *yaml.Node, prefix string) string
	walk = func(n *yaml.Node, prefix string) string {
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			return walk(n.Content[0], prefix)
		}
		if n.Kind != yaml.MappingNode {
			return ""
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := strings.TrimPrefix(prefix+"."+k.Value, ".")
			if v.Line == line && v.Kind != yaml.MappingNode {
				return key
			}
			if found := walk(v, key); found != "" {
				return found
			}
		}
		return ""
	}
	if root == nil {
		return "a key"
	}
	if k := walk(root, ""); k != "" {
		return k
	}
	return "a key"
}

// keysOf lists the keys of the config section of Go type name typ.
func keysOf(typ string) []string {
	var found reflect.Type
	var find func(t reflect.Type)
	find = func(t reflect.Type) {
		if t.Name() == typ {
			found = t
			return
		}
		for i := range t.NumField() {
			if ft := t.Field(i).Type; ft.Kind() == reflect.Struct && found == nil {
				find(ft)
			}
		}
	}
	find(reflect.TypeFor[Config]())
	if found == nil {
		return nil
	}
	var keys []string
	for i := range found.NumField() {
		if tag, _, _ := strings.Cut(found.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return keys
}

// Nearest is the word of known nearest to word, when it is near enough to
// be a typo of it (an edit or two away), else "".
func Nearest(word string, known []string) string { return nearest(word, known) }

// nearest is the key of known nearest to key, when it is near enough to be
// a typo (an edit or two away), else "".
func nearest(key string, known []string) string {
	best, dist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < dist {
			best, dist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
