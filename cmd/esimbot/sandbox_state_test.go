package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// sellOn sells n bundles on sb through the client, with references
// prefix-1, prefix-2, ...
func sellOn(t *testing.T, sb *sandbox.Server, prefix string, n int) {
	t.Helper()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := reseller.New(reseller.Config{BaseURL: srv.URL + sb.Prefix(), Username: "demo", Password: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		ref := fmt.Sprintf("%s-%d", prefix, i)
		r := reseller.AssignRequest{BundleCode: "FRA_5GB_30D", Email: "a@example.com", Name: "A", OrderReference: ref}
		if _, err := c.AssignBundle(context.Background(), r, reseller.AssignOptions{}); err != nil {
			t.Fatalf("sale %s: %v", ref, err)
		}
	}
}

// TestEmbeddedSandboxState checks that the embedded sandbox keeps its
// state a sale at a time (a head and a blob per order, not the whole state
// rewritten per sale), that a state kept in one blob by an older file is
// moved to that form, and that a restart restores either.
func TestEmbeddedSandboxState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	log := slog.New(slog.DiscardHandler)

	// A file of before: the whole state in the one blob "sandbox".
	old := sandbox.New(sandbox.Options{})
	sellOn(t, old, "OLD", 3)
	state, err := old.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutBlob(ctx, sandboxBlob, state); err != nil {
		t.Fatal(err)
	}

	sb, err := embeddedSandbox(ctx, st, sandbox.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sb.Orders()); n != 3 {
		t.Fatalf("%d orders restored from the single blob, want 3", n)
	}
	if _, ok, _ := st.Blob(ctx, sandboxBlob); ok {
		t.Error("the single blob is still there after the move")
	}
	blobs, err := st.Blobs(ctx, sandboxOrderPfx)
	if err != nil || len(blobs) != 3 {
		t.Fatalf("%d order blobs after the move (%v), want 3", len(blobs), err)
	}

	// Each sale writes its order and the head, nothing else.
	sizes := map[string]int{}
	for _, b := range blobs {
		sizes[b.Name] = len(b.Data)
	}
	sellOn(t, sb, "NEW", 2)
	blobs, err = st.Blobs(ctx, sandboxOrderPfx)
	if err != nil || len(blobs) != 5 {
		t.Fatalf("%d order blobs after two more sales (%v), want 5", len(blobs), err)
	}
	for _, b := range blobs[:3] {
		if len(b.Data) != sizes[b.Name] {
			t.Errorf("order blob %s rewritten by a later sale", b.Name)
		}
	}

	// A restart restores all five, and the sequence goes on.
	again, err := embeddedSandbox(ctx, st, sandbox.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(again.Orders()); n != 5 {
		t.Fatalf("%d orders after a restart, want 5", n)
	}
	want, _ := sb.Snapshot()
	got, _ := again.Snapshot()
	if string(got) != string(want) {
		t.Error("the restored state differs from the one kept")
	}
	sellOn(t, again, "AFTER", 1)
	seen := map[string]bool{}
	for _, o := range again.Orders() {
		if seen[o.ICCID] {
			t.Errorf("ICCID %s sold twice after the restart", o.ICCID)
		}
		seen[o.ICCID] = true
	}

	// A missing order blob is refused, not silently skipped.
	if err := st.PutBlobs(ctx, nil, fmt.Sprintf(sandboxOrderName, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := embeddedSandbox(ctx, st, sandbox.Options{}, log); err == nil {
		t.Error("a state with a missing order was restored")
	}
}
