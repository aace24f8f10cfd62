// Command esimbot is a self-hosted Telegram sales channel for eSIM
// resellers. For now it serves the built-in reseller sandbox:
//
//	esimbot sandbox [-listen 127.0.0.1:9090] [flags]
//	esimbot version
//
// Run "esimbot help" for the subcommands and "esimbot sandbox -h" for the
// sandbox's flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}
