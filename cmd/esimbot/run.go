package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Main is the whole program, with its inputs and outputs as fields so a
// test can run it in-process.
type Main struct {
	// Stdin, Stdout and Stderr are the program's standard streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// OnListen, when set, is told each address a server listens on, so a
	// test that asked for port 0 learns the port.
	OnListen func(name, addr string)

	pollTimeout time.Duration     // tests shorten Telegram's long polling
	tuneBot     func(*bot.Config) // tests lift the rate limits
	sandbox     *sandbox.Server   // tests inspect the embedded sandbox
	readyEvery  time.Duration     // tests re-check /readyz at every request
}

// errUsage marks a command-line mistake: the usage was already printed.
var errUsage = errors.New("usage")

// Run runs the subcommand in args until it finishes or ctx is done, and
// returns the process exit code: 0 success, 2 usage error, 1 anything else.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	cmd, rest := "run", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = m.runBot(ctx, rest)
	case "healthcheck":
		err = m.runHealthcheck(ctx, rest)
	case "demo":
		err = m.runDemo(ctx, rest)
	case "backup":
		err = m.runBackup(ctx, rest)
	case "sandbox":
		err = m.runSandbox(ctx, rest)
	case "version", "-version", "--version":
		fmt.Fprintln(m.Stdout, "esimbot", Version())
	case "help", "-h", "-help", "--help":
		m.usage(m.Stdout)
	default:
		fmt.Fprintf(m.Stderr, "esimbot: unknown command %q\n", cmd)
		m.usage(m.Stderr)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		var ce *configError
		if errors.As(err, &ce) {
			fmt.Fprintln(m.Stderr, "esimbot: configuration:", ce)
			return 2
		}
		fmt.Fprintln(m.Stderr, "esimbot:", err)
		return 1
	}
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(`
Usage: esimbot [command] [flags]

Commands:
  run         run the bot on Telegram (the default; configuration from the environment)
  healthcheck exit 0 when the local /healthz answers (for container health checks)
  demo      play the bot's conversation in the terminal, on the embedded sandbox
  backup    write a consistent copy of the database file
  sandbox   serve the built-in reseller API sandbox over HTTP
  version   print the version
  help      print this help

Run "esimbot <command> -h" for a command's flags.
`, "\n"))
}

// Version returns the version set at build time, or the module version
// and VCS revision recorded by the Go toolchain, or "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		if v != "" && v != "(devel)" {
			return v
		}
	}
	return "devel"
}

// newFlagSet returns a flag set that prints its usage to Stderr and
// returns errors instead of exiting.
func (m *Main) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: esimbot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and rejects stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "esimbot %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
