package wizard

import (
	"strings"

	"github.com/fedctl/fedctl/config"
)

// The Audit step's questions, described once: the Audit screen draws them
// and accessible mode asks them, so both modes ask the same things
// (TestAccessibleAsksWhatTheScreensAsk holds them to it).
const (
	qDataAccessLogs = "Turn on the Data Access logs (recommended)"
	qSink           = "Export the trail to BigQuery with a log sink (optional)"
)

// sinkQuestions are the sink's fields: label, default, and where the
// answer goes.
var sinkQuestions = [3]struct {
	label string
	def   string
	set   func(*config.Sink, string)
	get   func(config.Sink) string
}{
	{"Sink name", config.DefaultSinkName, func(s *config.Sink, v string) { s.Name = v }, func(s config.Sink) string { return s.Name }},
	{"Dataset", config.DefaultSinkDataset, func(s *config.Sink, v string) { s.Dataset = v }, func(s config.Sink) string { return s.Dataset }},
	{"Location", config.DefaultSinkLocation, func(s *config.Sink, v string) { s.Location = v }, func(s config.Sink) string { return s.Location }},
}

// askSink is the sink's questions as line prompts.
func askSink(p *prompter, cfg *config.Config) error {
	on, err := p.yesNo(qSink+"?", !cfg.Audit.Sink.IsZero())
	if err != nil {
		return err
	}
	if !on {
		cfg.Audit.Sink = config.Sink{}
		return nil
	}
	var sink config.Sink
	for _, q := range sinkQuestions {
		v, err := p.ask(q.label, cmpOr(q.get(cfg.Audit.Sink), q.def), nonEmpty)
		if err != nil {
			return err
		}
		q.set(&sink, strings.TrimSpace(v))
	}
	cfg.Audit.Sink = sink
	return nil
}
