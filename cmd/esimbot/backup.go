package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/esimbot/esimbot/storage"
)

// runBackup implements "esimbot backup [-db PATH] FILE": it writes a
// consistent copy of the database file to FILE, atomically and with mode
// 0600. The bot must be stopped: bbolt locks the file of a running bot,
// and the command then fails at once saying so.
func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs := m.newFlagSet("backup", "backup [-db PATH] FILE")
	db := m.Getenv("ESIMBOT_DB")
	if db == "" {
		db = "esimbot.db"
	}
	fs.StringVar(&db, "db", db, "the database `file` to copy (from $ESIMBOT_DB if set)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package printed the error and the usage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(m.Stderr, "esimbot backup: want one FILE to write, got %d arguments\n", fs.NArg())
		fs.Usage()
		return errUsage
	}
	dest := fs.Arg(0)
	if err := storage.BackupFile(ctx, db, dest); err != nil {
		if errors.Is(err, storage.ErrInUse) {
			return fmt.Errorf("%w: stop the bot first", err)
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s\n", db, dest)
	return nil
}
