package record

// Source identifies the file a plan was read from.
type Source struct {
	Path     string `json:"path"`
	Name     string `json:"name"` // as the user gave it
	SHA256   string `json:"sha256"`
	Format   string `json:"format"`
	Sheet    string `json:"sheet,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	// Report is true when the plan was rebuilt from an earlier report.
	Report bool `json:"report,omitempty"`
}

// OrderKey identifies an order across reports and journals.
func OrderKey(customer, order string) string { return customer + "/" + order }
