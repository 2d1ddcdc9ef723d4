package cmd

import (
	"context"
	"fmt"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/verify"
)

// heldTokens mints, just before an offboarding is applied, a short-lived
// token for each SA about to be disabled or deleted, so that the closing
// table can prove it rejected afterwards (SPEC §7.2). The tokens are never
// printed. It returns the revocations to prove (none when the plan
// offboards nobody).
func heldTokens(ctx context.Context, f *cmdutil.Factory, c *gcp.Client, cfg *config.Config, p *engine.Plan) []verify.Revocation {
	var out []verify.Revocation
	d := p.Desired()
	for _, ch := range p.Changes {
		if !ch.Offboard || ch.Action == engine.ActionNoop {
			continue
		}
		o := d.Offboard(ch.Address)
		if o == nil || o.User == "" {
			continue // proof rows are about people
		}
		rv := verify.Revocation{User: o.User, SA: o.Email}
		if o.Email != "" && !o.Disabled {
			vo, err := verifyRunOptions(nil, f, cfg, "")
			if err == nil {
				rv.Held = verify.MintBeforeOffboarding(ctx, c, cfg, vo, o.Email)
			}
		}
		out = append(out, rv)
	}
	return out
}

// proveRevoked runs the revocation rows after an offboarding and renders
// them; a row still showing access is exit 3.
func proveRevoked(ctx context.Context, f *cmdutil.Factory, c *gcp.Client, cfg *config.Config, inv fixhint.Invocation, revs []verify.Revocation, dst **verify.Report) error {
	vo, err := verifyRunOptions(nil, f, cfg, "")
	if err != nil {
		return err
	}
	vo.Invocation = inv // the fixes repeat the command's federation flags
	f.Progressf("Proving the revocation…\n")
	rep, err := verify.RunRevoked(ctx, c, cfg, vo, revs)
	if err != nil {
		return err
	}
	return renderRevoked(f, rep, dst)
}

// proveRevokedWIF runs the wif revocation rows after a wif teardown.
func proveRevokedWIF(ctx context.Context, f *cmdutil.Factory, c *gcp.Client, cfg *config.Config, inv fixhint.Invocation, dst **verify.Report) error {
	vo, err := verifyRunOptions(nil, f, cfg, "")
	if err != nil {
		return err
	}
	vo.Invocation = inv // the fixes repeat the command's federation flags
	f.Progressf("Proving the revocation…\n")
	rep, err := verify.RunRevokedWIF(ctx, c, cfg, vo)
	if err != nil {
		return err
	}
	return renderRevoked(f, rep, dst)
}

func renderRevoked(f *cmdutil.Factory, rep *verify.Report, dst **verify.Report) error {
	*dst = rep
	if !f.Output().IsJSON() {
		fmt.Fprintln(f.IOStreams.Out)
		if err := renderVerifyText(f, rep); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return cmdutil.Silence(&cmdutil.ChecksFailedError{Message: "access remains after the offboarding"})
	}
	return nil
}

// renderUndo prints how to undo each offboarding (enable, or undelete).
func renderUndo(f *cmdutil.Factory, p *engine.Plan) {
	for _, ch := range p.Changes {
		if !ch.Offboard || ch.Action == engine.ActionNoop {
			continue
		}
		o := p.Desired().Offboard(ch.Address)
		if o == nil || o.Email == "" {
			continue
		}
		if o.Delete {
			fmt.Fprintf(f.IOStreams.Out, "Undo (within 30 days): gcloud beta iam service-accounts undelete %s --project %s\n", o.UniqueID, p.Project)
		} else {
			fmt.Fprintf(f.IOStreams.Out, "Undo: %s --project %s (or list %s again and run setup)\n", engine.EnableCommand(o.Email), p.Project, o.User)
		}
	}
}
