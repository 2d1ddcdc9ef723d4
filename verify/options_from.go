package verify

import (
	"errors"
	"fmt"
	"os"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// From is what a caller knows besides the configuration when it builds
// verify's Options: setup, verify, token and the wizard all build them
// through OptionsFrom, so the admin key, --wait, --concurrency and the
// fixes' context mean the same everywhere.
type From struct {
	// KeyFlag: --admin-key-file was given on the command line, so the
	// file must exist. A key file named only by the configuration is where
	// setup writes the key, which may not have happened yet: verify then
	// mints keylessly.
	KeyFlag bool
	// Invocation is how fedctl was run, for the fixes.
	Invocation fixhint.Invocation
	// Progress hears about long waits (a line on stderr).
	Progress func(format string, args ...any)
}

// OptionsFrom is the verify.Options of cfg: its users, --wait,
// --concurrency, the admin key read from cfg.AdminKeyFile, and from.
// Callers then set what is theirs (Users from --user, ProbeQuery…).
func OptionsFrom(cfg *config.Config, from From) (Options, error) {
	o := Options{
		Users:       cfg.Users(),
		Wait:        cfg.Wait,
		Concurrency: cfg.Concurrency,
		Invocation:  from.Invocation,
		Progress:    from.Progress,
	}
	if cfg.AdminKeyFile == "" {
		return o, nil
	}
	key, err := os.ReadFile(cfg.AdminKeyFile)
	switch {
	case err == nil:
		o.AdminKey, o.AdminKeyFile = key, cfg.AdminKeyFile
	case !from.KeyFlag && errors.Is(err, os.ErrNotExist):
		// Configured but never written: keyless.
	default:
		return o, fmt.Errorf("reading --admin-key-file: %w", err)
	}
	return o, nil
}
