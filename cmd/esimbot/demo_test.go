package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

// demo runs "esimbot demo" with args on script and returns its output.
func demo(t *testing.T, script []string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(strings.Join(script, "\n") + "\n"), Stdout: &out, Stderr: &errOut}
	if code := m.Run(context.Background(), append([]string{"demo"}, args...)); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, &out, &errOut)
	}
	return out.String()
}

// purchase is a script buying France's cheapest bundle from the menu.
var purchase = []string{"1", "france", "1", "1", "ada@example.com", "1", "1", "1"}

var deliveredICCID = regexp.MustCompile(`Your eSIM is ready!\n.*\nICCID: (\d+)`)

// TestDemoPurchase pipes a whole purchase into "esimbot demo" and checks
// that the saved QR code decodes to the activation string of the sandbox
// order, as printed in the installation message.
func TestDemoPurchase(t *testing.T) {
	qrDir := t.TempDir()
	script := strings.Join([]string{
		"1",               // Buy an eSIM
		"frnace",          // a typo
		"1",               // the cheapest bundle
		"1",               // Choose this bundle
		"not an email",    // refused
		"ada@example.com", //
		"1",               // Use Ada
		"contact 33612345678",
		"1", // Confirm
	}, "\n") + "\n"
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(script), Stdout: &out, Stderr: &errOut}
	if code := m.Run(context.Background(), []string{"demo", "-qr-dir", qrDir, "-db", t.TempDir() + "/demo.db"}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, &out, &errOut)
	}
	text := out.String()
	for _, want := range []string{"France", "doesn't look like an email", "+33612345678", "Your eSIM is ready", "SANDBOX – not a real eSIM"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	saved := regexp.MustCompile(`\[QR code saved to (\S+\.png)\]`).FindStringSubmatch(text)
	if saved == nil {
		t.Fatalf("no QR code saved:\n%s", text)
	}
	png, err := os.ReadFile(saved[1])
	if err != nil {
		t.Fatal(err)
	}
	qr := decodeQR(t, png)
	smdp := regexp.MustCompile(`SM-DP\+ address: (\S+)`).FindStringSubmatch(text)
	code := regexp.MustCompile(`Activation code: (\S+)`).FindStringSubmatch(text)
	if smdp == nil || code == nil {
		t.Fatalf("no manual installation data:\n%s", text)
	}
	if want := "LPA:1$" + smdp[1] + "$" + code[1]; qr != want {
		t.Errorf("QR code = %q, want %q", qr, want)
	}
}

func TestDemoUsageAndFlags(t *testing.T) {
	var out bytes.Buffer
	m := &Main{Stdin: strings.NewReader("/usage\n/frobnicate\n99\n/language\nquit\n"), Stdout: &out, Stderr: &out}
	if code := m.Run(context.Background(), []string{"demo", "-lang", "en", "-agent"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, &out)
	}
	for _, want := range []string{"Agent mode", "no eSIM yet", "don't know that command", "doesn't look like an ICCID", "Choose your language"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
}

// TestDemoKeepsTheSandbox runs the demo twice on one -db file: the second
// run knows the eSIM of the first, with its usage, and sells another
// ICCID.
func TestDemoKeepsTheSandbox(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	first := deliveredICCID.FindStringSubmatch(demo(t, purchase, "-db", db, "-qr-dir", t.TempDir()))
	if first == nil {
		t.Fatal("nothing delivered in the first run")
	}
	text := demo(t, append([]string{"/usage", "/start"}, purchase...), "-db", db, "-qr-dir", t.TempDir())
	usage, _, _ := strings.Cut(text, "> /start")
	for _, want := range []string{"Usage of " + first[1], "not started yet"} {
		if !strings.Contains(usage, want) {
			t.Errorf("/usage after a restart lacks %q:\n%s", want, usage)
		}
	}
	second := deliveredICCID.FindStringSubmatch(text)
	switch {
	case second == nil:
		t.Errorf("nothing delivered in the second run:\n%s", text)
	case second[1] == first[1]:
		t.Errorf("the second run sold ICCID %s again", first[1])
	}
}

// TestDemoNumbersAsText checks that a number is a button press only when
// the latest message with buttons has that button: a phone number, or a
// number past the buttons, is text.
func TestDemoNumbersAsText(t *testing.T) {
	text := demo(t, []string{"1", "france", "1", "1", "ada@example.com", "1",
		"0612345678",    // a phone number without the country code: refused as text
		"0033612345678", // with it
		"7",             // the summary has six buttons
	}, "-db", filepath.Join(t.TempDir(), "demo.db"))
	for _, want := range []string{"Please include the country code", "💬 +33612345678", "I didn't expect that here"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "(no button") {
		t.Errorf("a number was taken for a button:\n%s", text)
	}
}

// TestDemoRemovesItsTemporaryFiles checks that a demo without -db and
// -qr-dir leaves nothing in the temporary directory, QR codes included.
func TestDemoRemovesItsTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	text := demo(t, purchase)
	saved := regexp.MustCompile(`\[QR code saved to (\S+\.png)\]`).FindStringSubmatch(text)
	if saved == nil || !strings.HasPrefix(saved[1], tmp+string(filepath.Separator)) {
		t.Fatalf("QR code not saved in the temporary directory %s:\n%s", tmp, text)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in the temporary directory: %s", e.Name())
	}
}

func TestPlain(t *testing.T) {
	got := plain(`<b>Bold</b> &amp; <i>it</i> <code>x&lt;y</code> <a href="https://e.x/?a=1">link</a>`)
	if want := "Bold & it x<y link (https://e.x/?a=1)"; got != want {
		t.Errorf("plain = %q, want %q", got, want)
	}
}

func TestTerminalCopyButton(t *testing.T) {
	var out bytes.Buffer
	term := &terminal{out: &out}
	const code = "LPA:1$smdp.example.com$K2-ABC"
	err := term.Send(context.Background(), 1, flows.Message{Text: "Your eSIM", Buttons: [][]flows.Button{
		{{Text: "Copy the code", CopyText: code}},
		{{Text: "Usage", Data: "g.usage"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[1] Copy the code ⧉ " + code + "\n"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, &out)
	}
	out.Reset()
	if ev, ok := term.event("1"); ok {
		t.Errorf("pressing a copy button made an event %+v", ev)
	}
	if want := "(copied: " + code + ")\n"; out.String() != want {
		t.Errorf("pressing it printed %q, want %q", &out, want)
	}
	if ev, ok := term.event("2"); !ok || ev.Data != "g.usage" {
		t.Errorf("the other button made %+v, %v", ev, ok)
	}
}
