package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

// newDB writes a database with one sale at path and closes it.
func newDB(t *testing.T, path string) {
	t.Helper()
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSale(context.Background(), storetest.NewSale("EB-1", 7, storetest.T0), storetest.NewConversation(7, storetest.T0)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// holdsSale checks that the database at path opens and holds sale EB-1.
func holdsSale(t *testing.T, path string) {
	t.Helper()
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Error(err)
	}
	if s, err := st.Sale(context.Background(), "EB-1"); err != nil || s.State != flows.SaleConfirmed {
		t.Errorf("sale in the backup: %+v, %v", s, err)
	}
}

// backup runs "esimbot backup args..." with the environment env and
// returns its stdout, its stderr and its exit code.
func backup(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	code = m.Run(context.Background(), append([]string{"backup"}, args...))
	return out.String(), errOut.String(), code
}

func TestBackup(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		db, dest := filepath.Join(dir, "bot.db"), filepath.Join(dir, "copy.db")
		newDB(t, db)
		stdout, stderr, code := backup(t, nil, "-db", db, dest)
		if code != 0 {
			t.Fatalf("exit code %d:\n%s", code, stderr)
		}
		if want := "backed up " + db + " to " + dest + "\n"; stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		fi, err := os.Stat(dest)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
		}
		holdsSale(t, dest)
	})
	t.Run("ESIMBOT_DB", func(t *testing.T) {
		dir := t.TempDir()
		db, dest := filepath.Join(dir, "bot.db"), filepath.Join(dir, "copy.db")
		newDB(t, db)
		if _, stderr, code := backup(t, map[string]string{"ESIMBOT_DB": db}, dest); code != 0 {
			t.Fatalf("exit code %d:\n%s", code, stderr)
		}
		holdsSale(t, dest)
	})
	t.Run("DefaultFile", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		newDB(t, "esimbot.db")
		if _, stderr, code := backup(t, nil, "copy.db"); code != 0 {
			t.Fatalf("exit code %d:\n%s", code, stderr)
		}
		holdsSale(t, filepath.Join(dir, "copy.db"))
	})
	t.Run("ErrInUse", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "bot.db")
		st, err := storage.Open(db, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// Held by a process that serves no admin socket: the command says both.
		_, stderr, code := backup(t, map[string]string{"ESIMBOT_DB": db}, filepath.Join(dir, "copy.db"))
		if code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
		if want := "esimbot: backup: database is in use by another esimbot (" + db + "), and the running bot did not send a copy: "; !strings.HasPrefix(stderr, want) {
			t.Errorf("stderr %q, want it to start with %q", stderr, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "copy.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a backup was written: %v", err)
		}
	})
	t.Run("ErrMissingDB", func(t *testing.T) {
		dir := t.TempDir()
		_, stderr, code := backup(t, nil, "-db", filepath.Join(dir, "none.db"), filepath.Join(dir, "copy.db"))
		if code != 1 || !strings.HasPrefix(stderr, "esimbot: backup: open ") {
			t.Errorf("exit code %d, stderr %q; want 1 and an open error", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the missing database was created: %v", err)
		}
	})
	t.Run("ErrNoDirectory", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "bot.db")
		newDB(t, db)
		missing := filepath.Join(dir, "x", "y")
		_, stderr, code := backup(t, nil, "-db", db, filepath.Join(missing, "copy.db"))
		if want := "esimbot: backup: directory " + missing + " does not exist\n"; code != 1 || stderr != want {
			t.Errorf("exit code %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
	t.Run("ErrNotADirectory", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "bot.db")
		newDB(t, db)
		_, stderr, code := backup(t, nil, "-db", db, filepath.Join(db, "copy.db"))
		if want := "esimbot: backup: " + db + " is not a directory\n"; code != 1 || stderr != want {
			t.Errorf("exit code %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
	t.Run("ErrDestinationIsADirectory", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "bot.db")
		newDB(t, db)
		_, stderr, code := backup(t, nil, "-db", db, dir)
		if want := "esimbot: backup: " + dir + " is a directory: name the file to write\n"; code != 1 || stderr != want {
			t.Errorf("exit code %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{}, {"a.db", "b.db"}, {"-nope", "a.db"}} {
			_, stderr, code := backup(t, nil, args...)
			if code != 2 {
				t.Errorf("%q: exit code %d, want 2", args, code)
			}
			if !strings.Contains(stderr, "Usage: esimbot backup [-db PATH] FILE") {
				t.Errorf("%q: no usage on stderr:\n%s", args, stderr)
			}
		}
	})
}
