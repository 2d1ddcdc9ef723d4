package cmd

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

// sinkFlagUsage documents --sink, the flag of the audit.sink key.
const sinkFlagUsage = "Audit log sink into BigQuery, `NAME[:DATASET[:LOCATION]]` (empty parts: " +
	config.DefaultSinkName + ":" + config.DefaultSinkDataset + ":" + config.DefaultSinkLocation +
	"; \"\" for none); teardown deletes the sink and keeps the dataset"

// parseSinkFlag reads --sink NAME[:DATASET[:LOCATION]]: empty parts take
// the defaults, and an empty value is no sink (it overrides the file's).
func parseSinkFlag(v string) (config.Sink, error) {
	if v == "" {
		return config.Sink{}, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) > 3 {
		return config.Sink{}, cmdutil.FlagErrorf("--sink %q: want NAME[:DATASET[:LOCATION]]", v)
	}
	parts = append(parts, "", "")
	return config.Sink{Name: parts[0], Dataset: parts[1], Location: parts[2]}.WithDefaults(), nil
}

// applySink overlays --sink, when given, onto cfg.Audit.Sink.
func (ff *fedFlags) applySink(fl *pflag.FlagSet, cfg *config.Config) error {
	if fl.Lookup("sink") == nil || !fl.Changed("sink") {
		return nil
	}
	s, err := parseSinkFlag(ff.sink)
	if err != nil {
		return err
	}
	cfg.Audit.Sink = s
	return nil
}
