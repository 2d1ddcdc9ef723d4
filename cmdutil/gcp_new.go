package cmdutil

import "github.com/fedctl/fedctl/gcp"

func init() { newGCPClient = gcp.New }
