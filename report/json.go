package report

import (
	"encoding/json"
	"io"
)

// JSON writes the machine-readable report of DESIGN.md section 8.
type JSON struct{}

func (JSON) Write(w io.Writer, r *Report) error {
	// Empty lists are [] rather than null so consumers can iterate
	// blindly; Finish does the same for the nested lists.
	cp := *r
	if cp.Secrets == nil {
		cp.Secrets = []*Secret{}
	}
	if cp.Findings == nil {
		cp.Findings = []*Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&cp)
}

// ReadJSON decodes a report written by JSON, e.g. a --baseline file.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}
