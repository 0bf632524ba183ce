package messaging

import (
	"github.com/spf13/cobra"
)

// command builds "messaging" with its subcommands for PocketBase's root
// command.
func (m *Messaging) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "messaging",
		Short: "Private messaging tools (seed, recount)",
	}
	cmd.AddCommand(m.seedCommand())
	cmd.AddCommand(m.recountCommand())
	return cmd
}
