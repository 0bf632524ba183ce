package messaging

import (
	"github.com/spf13/cobra"
)

// Command returns the plugin's "messaging" CLI command, with its recount
// subcommand. Register adds it to Config.RootCmd when that is set; an app
// hangs tools of its own under it with Command().AddCommand (this
// repository's main.go adds "seed" from internal/seed this way). It is
// built by Register whether or not RootCmd is set.
func (m *Messaging) Command() *cobra.Command {
	return m.cmd
}

// newCommand builds "messaging" with the plugin's own subcommands.
func (m *Messaging) newCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "messaging",
		Short: "Private messaging tools",
	}
	cmd.AddCommand(m.recountCommand(), m.purgeDeletedCommand(), m.purgeCommand())
	return cmd
}
