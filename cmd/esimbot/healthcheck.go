package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck exits 0 when the bot's /healthz answers 200, for the
// container's HEALTHCHECK.
func (m *Main) runHealthcheck(ctx context.Context, args []string) error {
	fs := m.newFlagSet("healthcheck", "healthcheck [-listen ADDR]")
	def := m.Getenv("ESIMBOT_LISTEN")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	listen := fs.String("listen", def, "`address` the bot serves /healthz on (ESIMBOT_LISTEN)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := checkListen(*listen); err != nil {
		return err
	}
	u, err := localURL(*listen, "/healthz")
	if err != nil {
		return &configError{"ESIMBOT_LISTEN", "want host:port"}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

// localURL is the URL of path on the bot's HTTP address as seen from this
// machine: a bot listening on every address is asked on 127.0.0.1.
func localURL(listen, path string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
