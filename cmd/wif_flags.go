package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"github.com/fedctl/fedctl/verify"
	"github.com/fedctl/fedctl/wif"
)

// applyWIF overlays the wif flags that are not configuration keys of their
// own (--principal, --direct, --jwks-file) and then the preset, which
// fills only what the file and the other flags left empty.
func (ff *fedFlags) applyWIF(fl *pflag.FlagSet, cfg *config.Config) error {
	changed := func(name string) bool { return fl.Lookup(name) != nil && fl.Changed(name) }
	w := &cfg.WIF
	if changed("principal") {
		w.Principal, w.PrincipalSet = ff.principal, ""
	}
	if changed("direct") {
		w.Direct = ff.direct
	}
	if changed("jwks-file") {
		b, err := os.ReadFile(ff.jwksFile)
		if err != nil {
			return fmt.Errorf("--jwks-file: %w", err)
		}
		if _, err := wif.ParseJWKS(b); err != nil {
			return fmt.Errorf("--jwks-file %s: %w", ff.jwksFile, err)
		}
		w.Provider.JWKSJSON = strings.TrimSpace(string(b))
	}
	name := w.Preset
	if changed("preset") {
		name = ff.preset
	}
	if name == "" {
		if changed("preset-values") {
			return errors.New("--preset-values needs --preset")
		}
		return nil
	}
	if cfg.Mode == "" {
		cfg.Mode = config.ModeWIF // a preset only makes sense in wif mode
	}
	p, err := wif.LookupPreset(name)
	if err != nil {
		return fmt.Errorf("--preset: %w", err)
	}
	values := map[string]string{}
	if changed("preset-values") {
		for _, kv := range config.SplitList(ff.presetValues) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return fmt.Errorf("--preset-values: %q is not NAME=VALUE", kv)
			}
			values[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := p.Apply(w, values); err != nil {
		var mp *wif.MissingParamsError
		if errors.As(err, &mp) {
			return fmt.Errorf("%w (or --preset-values %s=VALUE)", err, mp.Params[0].Name)
		}
		return err
	}
	return nil
}

// wifPreflight compiles and lints the wif provider and applies the safety
// refusals, before any API call; it prints the warnings (the forced risks
// loudly) on stderr.
func wifPreflight(f *cmdutil.Factory, cfg *config.Config, ff *fedFlags) error {
	warns, err := engine.PreflightWIF(cfg, ff.wifAllow())
	cs := f.IOStreams.ErrColorScheme()
	for _, w := range warns {
		f.Progressf("%s %s\n", cs.WarningIcon(), cs.Yellow("WARNING: "+w))
	}
	if err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	if ff.workflow != "" && cfg.WIF.Provider.IssuerURI != wif.GitHubIssuerURI {
		return cmdutil.FlagErrorf("--workflow writes a GitHub Actions workflow: the provider's issuer must be GitHub's (%s); use --preset github", wif.GitHubIssuerURI)
	}
	if err := ff.checkWorkflowFile(cfg); err != nil {
		return err
	}
	return ff.checkCredConfig(f)
}

// providerNumber is the project number in a provider's resource name.
var providerNumber = lazyregexp.New(`projects/[0-9]+/locations/global/workloadIdentityPools/`)

// checkWorkflowFile refuses, before any API call, a --workflow file that
// exists unless it is the workflow setup would write (a re-run): a file of
// the operator's own is never overwritten. The provider's name holds the
// project number, not read yet: both sides are compared with it masked
// (writeWorkflow compares again, exactly, before writing).
func (ff *fedFlags) checkWorkflowFile(cfg *config.Config) error {
	if ff.workflow == "" {
		return nil
	}
	old, err := os.ReadFile(ff.workflow)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return cmdutil.FlagErrorf("--workflow %s: %v", ff.workflow, err)
	}
	mask := func(b []byte) []byte {
		return providerNumber.Re().ReplaceAll(b, []byte("projects/N/locations/global/workloadIdentityPools/"))
	}
	want := wif.GitHubWorkflow(cfg.WIF.ProviderName("N"), cfg.WIF.TargetEmail(cfg.Project), cfg.Project)
	if !bytes.Equal(mask(old), mask(want)) {
		return workflowExistsError(ff.workflow)
	}
	return nil
}

func workflowExistsError(path string) error {
	return cmdutil.FlagErrorf("--workflow %s: the file exists and is not the workflow fedctl would write; fedctl does not overwrite it: move it away or name another file", path)
}

// writeWorkflow writes the --workflow file, unless a different file is
// there (checkWorkflowFile refused it up front, with the project number
// masked; this compares exactly).
func writeWorkflow(path string, b []byte) error {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, b):
		return nil
	case err == nil:
		return workflowExistsError(path)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--workflow: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("--workflow: %w", err)
	}
	return nil
}

// writeCredConfig writes --cred-config for a wif setup: an external_account
// configuration whose URLs follow --api-endpoint (so it also drives the
// sandbox).
//
// It also writes --workflow: a GitHub Actions workflow for a provider of
// GitHub's issuer.
func writeCredConfig(client *gcp.Client, out *engine.WIFOutputs, ff *fedFlags) error {
	if out == nil {
		return nil
	}
	if ff.workflow != "" {
		if !out.GitHub {
			return fmt.Errorf("--workflow: the provider's issuer is not GitHub Actions' (%s); use --preset github", wif.GitHubIssuerURI)
		}
		if err := writeWorkflow(ff.workflow, wif.GitHubWorkflow(out.Provider, out.ServiceAccount, out.Project)); err != nil {
			return err
		}
		out.WorkflowFile = ff.workflow
	}
	if ff.credConfig == "" {
		return nil
	}
	o := wif.CredConfigOptions{Audience: out.Audience, ServiceAccount: out.ServiceAccount, RewriteURL: client.ServiceURL}
	if strings.HasPrefix(ff.credSource, "http://") || strings.HasPrefix(ff.credSource, "https://") {
		o.URL = ff.credSource
	} else {
		o.File = ff.credSource
	}
	b, err := wif.CredConfig(o)
	if err != nil {
		return err
	}
	if err := os.WriteFile(ff.credConfig, b, 0o644); err != nil {
		return fmt.Errorf("--cred-config: %w", err)
	}
	out.CredConfigFile = ff.credConfig
	return nil
}

// wifTokenOptions reads verify's --subject-token-file (a JWT, kept as the
// token for the live exchange) or --claims (a JSON object, or a JWT whose
// claims alone are used).
func wifTokenOptions(vo *verify.Options, tokenFile, claimsFile string) error {
	switch {
	case tokenFile != "":
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return cmdutil.FlagErrorf("--subject-token-file: %v", err)
		}
		raw := strings.TrimSpace(string(b))
		if _, err := wif.ParseJWT(raw); err != nil {
			return cmdutil.FlagErrorf("--subject-token-file %s: %v", tokenFile, err)
		}
		vo.SubjectToken, vo.SubjectTokenSource = raw, tokenFile
	case claimsFile != "":
		claims, _, err := wif.ReadClaimsFile(claimsFile)
		if err != nil {
			return cmdutil.FlagErrorf("--claims: %v", err)
		}
		vo.Claims, vo.SubjectTokenSource = claims, claimsFile
	}
	return nil
}
