package cmdutil

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// OutputFormat is the value of --output.
type OutputFormat string

const (
	OutputText OutputFormat = "text"
	OutputJSON OutputFormat = "json"
)

// OutputFormats lists the accepted --output values, for help and completion.
var OutputFormats = []string{string(OutputText), string(OutputJSON)}

// ParseOutput validates an --output value; anything but text or json is a
// FlagError (exit 2). The empty string means text.
func ParseOutput(s string) (OutputFormat, error) {
	switch OutputFormat(s) {
	case "", OutputText:
		return OutputText, nil
	case OutputJSON:
		return OutputJSON, nil
	}
	return "", FlagErrorf("invalid value %q for --output: must be one of %s", s, strings.Join(OutputFormats, ", "))
}

// String, Set and Type make *OutputFormat a pflag.Value, so a bad value
// fails while flags are parsed (and cobra's flag-error hook makes that a
// usage error).
func (o *OutputFormat) String() string {
	if *o == "" {
		return string(OutputText)
	}
	return string(*o)
}

func (o *OutputFormat) Set(s string) error {
	v, err := ParseOutput(s)
	if err != nil {
		// pflag already says `invalid argument "yaml" for "--output" flag`.
		return errors.New("must be one of " + strings.Join(OutputFormats, ", "))
	}
	*o = v
	return nil
}

func (o *OutputFormat) Type() string { return "format" }

// IsJSON reports whether JSON output was asked for.
func (o OutputFormat) IsJSON() bool { return o == OutputJSON }

// PrintJSON writes v as one indented JSON document with a trailing newline.
// HTML escaping is off so queries and conditions (<, >, &) read as written.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
