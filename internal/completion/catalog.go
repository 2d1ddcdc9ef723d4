package completion

// The values SPEC §1-2 defines for fedctl's enumerated flags. Commands pass
// these to Values or List rather than spelling them again.
var (
	// Modes are the --mode values.
	Modes = []string{"impersonation", "wif", "oauth"}
	// Grants are the --grant values: Token Creator per user SA (Pattern A)
	// or on the project (Pattern B).
	Grants = []string{"per-user", "project"}
	// OutputFormats are the --output values.
	OutputFormats = []string{"text", "json"}
	// Shells are the arguments of `fedctl completion`.
	Shells = []string{"bash", "zsh", "fish", "powershell"}
	// DataRoles are the BigQuery roles commonly granted with --roles; any
	// other role may still be typed.
	DataRoles = []string{
		"roles/bigquery.user",
		"roles/bigquery.dataViewer",
		"roles/bigquery.jobUser",
		"roles/bigquery.dataEditor",
		"roles/bigquery.readSessionUser",
		"roles/bigquery.metadataViewer",
	}
)
