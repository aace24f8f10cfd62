package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// The embedded sandbox's state among the blobs of the database: its head
// (the wallet and the sequences) and one blob per order, named by the
// order's place, so that a sale writes only what it changed. Files of
// before kept the whole state in one blob, sandboxBlob, which is moved to
// this form at the first start.
const (
	sandboxBlob      = "sandbox"
	sandboxHead      = "sandbox/head"
	sandboxOrderPfx  = "sandbox/order/"
	sandboxOrderName = sandboxOrderPfx + "%010d"
)

// embeddedSandbox returns a sandbox with opts that keeps its state in
// store, for "demo" and for "run" without a reseller API: restored from
// the file now, and written to it after every sale and top-up before the
// sandbox answers, so that a restart (or a kill) loses no order the bot
// was told of and never sells an ICCID twice.
func embeddedSandbox(ctx context.Context, store *storage.Store, opts sandbox.Options, log *slog.Logger) (*sandbox.Server, error) {
	opts.OnChange = func(c sandbox.Change) error {
		err := store.PutBlobs(context.WithoutCancel(ctx), []storage.NamedBlob{
			{Name: fmt.Sprintf(sandboxOrderName, c.Seq), Data: c.Order},
			{Name: sandboxHead, Data: c.Head},
		})
		if err != nil {
			log.Error("sandbox: the sale is refused: its state could not be stored", "err", err)
		}
		return err
	}
	sb := sandbox.New(opts)
	if err := restoreSandbox(ctx, store, sb); err != nil {
		return nil, fmt.Errorf("sandbox state in %s: %w", store.Path(), err)
	}
	return sb, nil
}

// restoreSandbox puts the state kept in store back into sb, and moves a
// state kept in one blob to a blob per order.
func restoreSandbox(ctx context.Context, store *storage.Store, sb *sandbox.Server) error {
	old, ok, err := store.Blob(ctx, sandboxBlob)
	if err != nil {
		return err
	}
	if ok {
		if err := sb.Restore(old); err != nil {
			return err
		}
		return moveSandboxState(ctx, store, sb)
	}
	head, ok, err := store.Blob(ctx, sandboxHead)
	if err != nil || !ok {
		return err
	}
	blobs, err := store.Blobs(ctx, sandboxOrderPfx)
	if err != nil {
		return err
	}
	orders := make([][]byte, len(blobs))
	for i, b := range blobs {
		if b.Name != fmt.Sprintf(sandboxOrderName, i) {
			return fmt.Errorf("order %d is missing (found %s)", i, b.Name)
		}
		orders[i] = b.Data
	}
	return sb.RestoreChanges(head, orders)
}

// moveSandboxState writes sb's state as a head and a blob per order, and
// removes the single blob of before, in one transaction.
func moveSandboxState(ctx context.Context, store *storage.Store, sb *sandbox.Server) error {
	head, orders, err := sb.SnapshotChanges()
	if err != nil {
		return err
	}
	blobs := []storage.NamedBlob{{Name: sandboxHead, Data: head}}
	for i, o := range orders {
		blobs = append(blobs, storage.NamedBlob{Name: fmt.Sprintf(sandboxOrderName, i), Data: o})
	}
	return store.PutBlobs(ctx, blobs, sandboxBlob)
}

// sandboxControlUsage ends `esimbot sandbox -h`: the control endpoints.
const sandboxControlUsage = `
Control (with -control, the default), outside the API prefix, behind basic
auth with the login's username and password:
  GET  /_sandbox/bundles/CODE                    the bundle's prices and availability
  POST /_sandbox/bundles/CODE  price=AMOUNT      set reseller_retail_price; bundle_price_final
                                                 and subscriber_price move by the same ratio,
                                                 so the next sale is charged the new price
  POST /_sandbox/bundles/CODE  withdraw=true     no longer listed nor sold ("Bundle is not
                                                 available"); withdraw=false puts it back
Both answer the bundle as it is now, e.g.
  curl -u demo:demo -d price=9.99 http://127.0.0.1:9090/_sandbox/bundles/FRA_5GB_30D
Changes last until the sandbox stops.
`

// runSandbox serves the reseller sandbox until ctx is done.
func (m *Main) runSandbox(ctx context.Context, args []string) error {
	fs := m.newFlagSet("sandbox", "sandbox [-listen ADDR] [flags]")
	listen := fs.String("listen", "127.0.0.1:9090", "`address` to serve on")
	var sf sandbox.Flags
	sf.Register(fs)
	flagsUsage := fs.Usage
	fs.Usage = func() {
		flagsUsage()
		fmt.Fprint(fs.Output(), sandboxControlUsage)
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	opts, faults, err := sf.Options()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	sb := sandbox.New(opts)
	for _, f := range faults {
		sb.Inject(f)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	user, pass := sb.Credentials()
	base := "http://" + ln.Addr().String() + sb.Prefix()
	fmt.Fprintf(m.Stdout, "reseller sandbox (in-memory, not real eSIMs) listening\n  base URL: %s\n  username: %s\n  password: %s\n", base, user, pass)
	fmt.Fprintf(m.Stdout, "try:\n  curl -s -X POST %s/Agent/login -H 'Content-Type: application/json' -d '{\"username\":\"%s\",\"password\":\"%s\"}'\n", base, user, pass)
	if opts.Control {
		fmt.Fprintf(m.Stdout, "control (change a price, withdraw a bundle):\n  curl -s -u %s:%s -d price=9.99 http://%s%sbundles/FRA_5GB_30D\n", user, pass, ln.Addr(), sandbox.ControlPrefix)
	}
	if m.OnListen != nil {
		m.OnListen("sandbox", ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sandbox: shut down: %w", err)
	}
	return nil
}
