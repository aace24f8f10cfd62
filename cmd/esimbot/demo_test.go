package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

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
	for _, want := range []string{"Agent mode", "no eSIM yet", "don't know that command", "(no button 99)", "Choose your language"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
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
	term.begin()
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
