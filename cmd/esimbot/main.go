// Command esimbot is a self-hosted Telegram sales channel for eSIM
// resellers:
//
//	esimbot [run] [flags]       run the bot on Telegram (configuration from the environment)
//	esimbot help                list the commands (also -h, --help)
//	esimbot <command> -h        list a command's flags
//	esimbot version             print the version (also -version, --version)
//
// Help exits 0; a usage or configuration mistake exits 2 with one line
// naming it; any other failure exits 1.
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
