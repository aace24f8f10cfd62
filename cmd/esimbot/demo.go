package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// runDemo plays the conversation in the terminal against the embedded
// sandbox: messages are printed, buttons numbered; the user types a number
// to press one, or text, a /command, or "contact +NUMBER".
func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs := m.newFlagSet("demo", "demo [-db FILE] [-lang en] [flags]")
	dbPath := fs.String("db", "", "bbolt `file` to keep the state in (default: a temporary file)")
	lang := fs.String("lang", "en", "the user's language (en, fr, ar)")
	name := fs.String("name", "Ada", "the user's Telegram first name")
	agent := fs.Bool("agent", false, "play a shop agent selling to a walk-in customer")
	qrDir := fs.String("qr-dir", "", "`directory` for the QR code PNG files (default: a temporary directory, removed at the end)")
	globalESIM := fs.Bool("global-esim", false, "enable Global eSIM bundles in the sandbox")
	delay := fs.Duration("activation-delay", 0, "sandbox: delay before activation data appears")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "esimbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := demoPaths(tmp, dbPath, qrDir); err != nil {
		return err
	}
	store, err := storage.Open(*dbPath, storage.Options{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer store.Close()

	quiet := slog.New(slog.DiscardHandler)
	sb, err := embeddedSandbox(ctx, store, sandbox.Options{ShowGlobalESIMBundles: *globalESIM, ActivationDelay: *delay}, quiet)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	base, stop, err := serveSandbox(sb)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer stop()
	user, pass := sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: base, Username: user, Password: pass})
	if err != nil {
		return err
	}

	term := &terminal{out: m.Stdout, qrDir: *qrDir}
	userID := flows.UserID(1)
	cfg := flows.Config{Sandbox: true, Logger: quiet, DeliveryWait: 5 * time.Second}
	if *agent {
		cfg.Agents = []flows.UserID{userID}
	}
	eng, err := flows.New(cfg, store, api, term, locales.MustNew())
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { eng.Run(runCtx, 2*time.Second) })
	defer wg.Wait()
	defer cancel()

	fmt.Fprintf(m.Stdout, "esimbot demo: the conversation of the Telegram bot, in the terminal, on the embedded\n"+
		"reseller sandbox (SANDBOX – not real eSIMs). State: %s\n"+
		"Type a button's number to press it, or text, a /command (/help), or \"contact +NUMBER\".\n"+
		"Ctrl-D or \"quit\" ends.\n", *dbPath)
	from := flows.Profile{FirstName: *name, LanguageCode: *lang}
	handle := func(ev flows.Event) error {
		ev.Chat, ev.User, ev.From = flows.ChatID(userID), userID, from
		out, err := eng.Handle(ctx, ev)
		if out.Notice != "" {
			fmt.Fprintf(m.Stdout, "(%s)\n", out.Notice)
		}
		return err
	}
	if err := handle(flows.Event{Kind: flows.EventCommand, Command: "start"}); err != nil {
		return err
	}
	return m.demoLoop(ctx, term, handle)
}

// demoLoop reads the user's lines and hands each to handle as an event,
// until the input ends, the user types "quit" or ctx is done.
func (m *Main) demoLoop(ctx context.Context, term *terminal, handle func(flows.Event) error) error {
	in := bufio.NewScanner(m.Stdin)
	for {
		fmt.Fprint(m.Stdout, "\n> ")
		if !in.Scan() {
			fmt.Fprintln(m.Stdout)
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		if !isTerminal(m.Stdin) {
			fmt.Fprintln(m.Stdout, line) // echo a script, so the output reads as a dialogue
		}
		if line == "" {
			continue
		}
		if line == "quit" || line == "exit" {
			return nil
		}
		ev, ok := term.event(line)
		if !ok {
			continue
		}
		if err := handle(ev); err != nil && ctx.Err() == nil {
			fmt.Fprintf(m.Stdout, "(error: %v)\n", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// demoPaths fills in the database file and the QR code directory the
// user left out, in tmp.
func demoPaths(tmp string, dbPath, qrDir *string) error {
	if *dbPath == "" {
		*dbPath = filepath.Join(tmp, "demo.db")
	}
	if *qrDir == "" {
		*qrDir = filepath.Join(tmp, "qr") // removed with tmp
		return os.Mkdir(*qrDir, 0o700)
	}
	return nil
}

// isTerminal reports whether a standard stream is an interactive terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminal is a flows.Messenger that prints to a terminal.
type terminal struct {
	mu      sync.Mutex
	out     io.Writer
	qrDir   string
	buttons []flows.Button // the buttons of the latest message that had any, numbered from 1
}

// Send prints a message.
func (t *terminal) Send(_ context.Context, _ flows.ChatID, m flows.Message) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	b.WriteString("\n")
	if m.Photo != nil {
		path := filepath.Join(t.qrDir, filepath.Base(m.Photo.Name))
		png, err := qrcode.Encode(m.Photo.QR, qrcode.Medium, 512)
		if err != nil {
			return fmt.Errorf("QR code: %w", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return fmt.Errorf("save QR code: %w", err)
		}
		if q, err := qrcode.New(m.Photo.QR, qrcode.Medium); err == nil {
			b.WriteString(q.ToSmallString(false))
		}
		fmt.Fprintf(&b, "[QR code saved to %s]\n", path)
	}
	b.WriteString(plain(m.Text))
	b.WriteString("\n")
	if len(m.Buttons) > 0 {
		t.buttons = nil
		for _, row := range m.Buttons {
			for _, btn := range row {
				t.buttons = append(t.buttons, btn)
				// Like on Telegram, a button does the first of Data, URL, CopyText.
				switch {
				case btn.Data == "" && btn.URL != "":
					fmt.Fprintf(&b, "[%d] %s → %s\n", len(t.buttons), btn.Text, btn.URL)
				case btn.Data == "" && btn.CopyText != "":
					fmt.Fprintf(&b, "[%d] %s ⧉ %s\n", len(t.buttons), btn.Text, btn.CopyText)
				default:
					fmt.Fprintf(&b, "[%d] %s\n", len(t.buttons), btn.Text)
				}
			}
		}
	}
	if m.Contact != nil {
		fmt.Fprintf(&b, "[%s: type \"contact +NUMBER\"]\n", m.Contact.Share)
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// Act shows a chat action.
func (t *terminal) Act(context.Context, flows.ChatID, string) error { return nil }

// event turns a typed line into an event. A number is a press of that
// button of the latest message with buttons, if it has one; otherwise it
// is text, such as a phone number or a postcode.
func (t *terminal) event(line string) (flows.Event, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, err := strconv.Atoi(line); err == nil && strconv.Itoa(n) == line && n >= 1 && n <= len(t.buttons) {
		btn := t.buttons[n-1]
		switch {
		case btn.Data == "" && btn.URL != "":
			fmt.Fprintf(t.out, "(opens %s)\n", btn.URL)
			return flows.Event{}, false
		case btn.Data == "" && btn.CopyText != "":
			fmt.Fprintf(t.out, "(copied: %s)\n", btn.CopyText)
			return flows.Event{}, false
		}
		return flows.Event{Kind: flows.EventButton, Data: btn.Data}, true
	}
	if rest, ok := strings.CutPrefix(line, "contact "); ok {
		return flows.Event{Kind: flows.EventContact, Phone: strings.TrimSpace(rest)}, true
	}
	if strings.HasPrefix(line, "/") {
		name, args, _ := strings.Cut(line[1:], " ")
		return flows.Event{Kind: flows.EventCommand, Command: name, Args: strings.TrimSpace(args)}, true
	}
	return flows.Event{Kind: flows.EventText, Text: line}, true
}

var (
	linkTag = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)
	anyTag  = regexp.MustCompile(`</?(b|i|u|s|code|pre|a)( [^>]*)?>`)
)

// plain turns Telegram HTML into terminal text.
func plain(s string) string {
	s = linkTag.ReplaceAllString(s, "$2 ($1)")
	s = anyTag.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}
