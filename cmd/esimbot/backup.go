package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"

	"github.com/esimbot/esimbot/storage"
)

// runBackup implements "esimbot backup [-db PATH] FILE": it writes a
// consistent copy of the database file to FILE, atomically and with mode
// 0600. A running bot holds the file: the copy then comes from the bot
// itself, through the admin socket beside the database (PATH.sock), taken
// in one read transaction while it runs.
func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs := m.newFlagSet("backup", "backup [-db PATH] FILE")
	db := m.Getenv("ESIMBOT_DB")
	if db == "" {
		db = "esimbot.db"
	}
	fs.StringVar(&db, "db", db, "the database `file` to copy (from $ESIMBOT_DB if set)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(m.Stderr, "esimbot backup: want one FILE to write, got %d arguments\n", fs.NArg())
		fs.Usage()
		return errUsage
	}
	dest := fs.Arg(0)
	if err := checkDest(dest); err != nil {
		return err
	}
	if err := storage.BackupFile(ctx, db, dest); err != nil {
		if !errors.Is(err, storage.ErrInUse) {
			return err
		}
		if herr := backupFromBot(ctx, adminSocket(db), dest); herr != nil {
			return fmt.Errorf("%w, and the running bot did not send a copy: %w", err, herr)
		}
		fmt.Fprintf(m.Stdout, "backed up the running bot's %s to %s\n", db, dest)
		return nil
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s\n", db, dest)
	return nil
}

// checkDest checks that the backup file dest can be written where it is
// named, so the mistakes an operator makes get plain words rather than the
// error of a temporary file beside it.
func checkDest(dest string) error {
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		return fmt.Errorf("backup: %s is a directory: name the file to write", dest)
	}
	dir := filepath.Dir(dest)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("backup: directory %s does not exist", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("backup: %s is not a directory", nearestFile(dir))
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	case !st.IsDir():
		return fmt.Errorf("backup: %s is not a directory", dir)
	}
	return nil
}

// nearestFile returns the longest prefix of path that exists (a file that
// stands where a directory should).
func nearestFile(path string) string {
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || p == filepath.Dir(p) {
			return p
		}
	}
}

// backupFromBot asks the running bot on its admin socket for a hot copy
// of its database and writes it to dest atomically.
func backupFromBot(ctx context.Context, socket, dest string) error {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://esimbot/backup", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/backup answered %s", resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".esimbot-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// The copy must open as a database of ours before it replaces dest.
	check, err := storage.Open(tmp.Name(), storage.Options{})
	if err != nil {
		return fmt.Errorf("the copy does not open: %w", err)
	}
	if err := errors.Join(check.Check(), check.Close()); err != nil {
		return fmt.Errorf("the copy is damaged: %w", err)
	}
	return os.Rename(tmp.Name(), dest)
}
