package record

// Parent is the link of a chain a run continued: its run id and the file
// it was resumed from (a report or a journal), with the file's SHA-256 and,
// for a report, its seal. A run starts a chain (its run id is the chain
// id); each resume adds a link that names its parent.
type Parent struct {
	RunID  string `json:"runId"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
	Seal   string `json:"seal,omitempty"`
}
