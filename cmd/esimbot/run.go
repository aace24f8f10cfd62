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
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
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

	pollTimeout    time.Duration          // tests shorten Telegram's long polling
	tuneBot        func(*bot.Config)      // tests lift the rate limits
	tuneReseller   func(*reseller.Config) // tests shorten timeouts, share a clock
	tuneFlows      func(*flows.Config)    // tests shorten timeouts, speed the engine's clock; the benchmark shortens the catalog's lifetime
	onStore        func(*storage.Store)   // the benchmark counts the store's commits
	reconcileEvery time.Duration          // tests reconcile more often than every 30 s
	sandbox        *sandbox.Server        // tests inspect the embedded sandbox
	readyEvery     time.Duration          // tests re-check /readyz at every request
}

// testClock, set at link time by the fault tests of the built binary
// (-ldflags "-X main.testClock=60"), runs the engine's clock that many
// times faster than the wall clock and reconciles every 250 ms, so that
// schedules of minutes (reconciliation backoff, delivery retries) pass in
// seconds. Release builds leave it empty, and nothing else sets it.
var testClock = ""

// errUsage marks a command-line mistake: the error and the usage were
// already printed.
var errUsage = errors.New("usage")

// errLogged marks a failure the logger has already reported: Run exits 1
// without printing it again.
var errLogged = errors.New("logged")

// commands are the subcommands, in the order the usage lists them.
var commands = []struct{ name, summary string }{
	{"run", "run the bot on Telegram (the default; configuration from the environment)"},
	{"healthcheck", "exit 0 when the local /healthz answers (for container health checks)"},
	{"demo", "play the bot's conversation in the terminal, on the embedded sandbox"},
	{"backup", "write a consistent copy of the database file"},
	{"sandbox", "serve the built-in reseller API sandbox over HTTP"},
	{"bench", "measure the bot's throughput and latency against a bare bot, on a fake Bot API"},
	{"version", "print the version (also -version, --version)"},
	{"help", "print this help (also -h, --help)"},
}

// Run runs the subcommand in args until it finishes or ctx is done, and
// returns the process exit code: 0 success (help included), 2 usage or
// configuration error, 1 anything else.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	cmd, rest := commandOf(args)
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
	case "bench":
		err = m.runBench(ctx, rest)
	case "version":
		fmt.Fprintln(m.Stdout, "esimbot", Version())
	case "help":
		m.usage(m.Stdout)
	default:
		fmt.Fprintf(m.Stderr, "esimbot: unknown command %q\n", cmd)
		m.usage(m.Stderr)
		return 2
	}
	return m.exitCode(err)
}

// commandOf returns the subcommand args name and the arguments after it:
// "run" when args start with a flag or are empty.
func commandOf(args []string) (cmd string, rest []string) {
	if len(args) == 0 {
		return "run", args
	}
	switch args[0] {
	case "-version", "--version":
		return "version", args[1:]
	case "-h", "-help", "--help":
		return "help", args[1:]
	}
	if !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "run", args
}

// exitCode is the exit code of a subcommand that returned err, which it
// prints unless it was printed already.
func (m *Main) exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errLogged):
		return 1
	}
	var ce *configError
	if errors.As(err, &ce) {
		fmt.Fprintln(m.Stderr, "esimbot: configuration:", ce)
		return 2
	}
	fmt.Fprintln(m.Stderr, "esimbot:", err)
	return 1
}

// usage prints the program's usage: the commands, aligned.
func (m *Main) usage(w io.Writer) {
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	var b strings.Builder
	b.WriteString("Usage: esimbot [command] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.summary)
	}
	b.WriteString("\nRun \"esimbot <command> -h\" for a command's flags.\n")
	fmt.Fprint(w, b.String())
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

// newFlagSet returns a flag set whose usage is the synopsis and the flags,
// printed where its output goes (Stderr; Stdout for -h). Parse it with
// m.parse or m.parseFlags.
func (m *Main) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: esimbot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses the flags in args. On -h or -help it prints the usage
// to Stdout and returns flag.ErrHelp (Run exits 0); on a bad flag it
// prints one line naming the mistake and the usage to Stderr and returns
// errUsage (Run exits 2).
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package would print it on every error
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case err == nil:
		fs.SetOutput(m.Stderr)
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(m.Stdout)
		fs.Usage()
		fs.SetOutput(m.Stderr)
		return flag.ErrHelp
	}
	fs.SetOutput(m.Stderr)
	fmt.Fprintf(m.Stderr, "esimbot %s: %v\n", fs.Name(), err)
	fs.Usage()
	return errUsage
}

// parse parses the flags in args, like parseFlags, and rejects stray
// arguments.
func (m *Main) parse(fs *flag.FlagSet, args []string) error {
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "esimbot %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
