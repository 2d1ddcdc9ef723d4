package config

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

const fileHeader = "# fedctl federation configuration (SPEC §2). Safe to commit: it holds no secrets.\n"

// Marshal renders the configuration as YAML that Parse reads back to an
// equal Config (the wizard saves its answers this way). Empty fields are
// omitted. The Config type has no secret fields — admin_key_file and
// hoop_policy are output paths, jwks_json holds public keys — so nothing
// secret can be written.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	return buf.Bytes(), nil
}
