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

// Approval is the plan a run executes, as it was signed off: the plan's
// run, file, SHA-256 and seal, and the names and dates its Summary's
// sign-off block held when the run read it (blank when left blank). Every
// later link of the chain carries it on.
type Approval struct {
	Plan       Parent `json:"plan"`
	PreparedBy string `json:"preparedBy,omitempty"`
	PreparedOn string `json:"preparedOn,omitempty"`
	ReviewedBy string `json:"reviewedBy,omitempty"`
	ReviewedOn string `json:"reviewedOn,omitempty"`
}
