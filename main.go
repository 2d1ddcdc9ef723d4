// Command fedctl sets up and proves keyless, per-identity access to BigQuery.
package main

import (
	"os"

	"github.com/fedctl/fedctl/cmd"
)

func main() { os.Exit(cmd.Main()) }
