package cmd

import (
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

// usersFromStdin makes --users-file - read the identities from standard
// input (the Unix convention), merged with --users like a file's.
func usersFromStdin(out *config.Flags, f *cmdutil.Factory) error {
	if out.UsersFile == nil || *out.UsersFile != "-" {
		return nil
	}
	users, err := config.ParseUsers("stdin", f.IOStreams.In)
	if err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	if out.Users != nil {
		users = append(append([]string(nil), *out.Users...), users...)
	}
	out.Users, out.UsersFile = &users, nil
	return nil
}
