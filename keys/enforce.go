package keys

import (
	"context"
	"errors"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

func applyOrgPolicy(ctx context.Context, c *gcp.Client, ch *engine.Change) error {
	return errors.New("org policy: not yet")
}
