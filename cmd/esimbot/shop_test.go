package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// TestRunShopOnTelegram runs a shop's day on the fake Bot API through the
// real library: an admin invites an agent, the agent sells to a walk-in
// customer with the WhatsApp hand-off, the receipt and the wallet line,
// /sales for the agent and the admin, the admin's CSV export (sent with
// sendDocument) checked column by column, and a customer who forges the
// staff's buttons and commands gets nothing.
func TestRunShopOnTelegram(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{"ESIMBOT_ADMINS": "700"})

	admin := newChat(t, fake, 700, "Owner", "en")
	admin.say("/invite")
	link := regexp.MustCompile(`https://t\.me/` + telegramtest.BotUsername + `\?start=(inv_[A-Za-z0-9_-]{22})`).
		FindStringSubmatch(admin.expect("Invite link").Text)
	if link == nil {
		t.Fatalf("no invite link:\n%s", fake.Transcript(700))
	}

	agent := newChat(t, fake, 701, "Sam", "en")
	agent.say("/start " + link[1])
	agent.expect("You are now an agent")
	agent.expect("Agent mode")
	agent.tap("Buy an eSIM")
	agent.expect("Where are you travelling")
	agent.say("france")
	agent.expect("your cost")
	agent.tap("1 GB")
	agent.expect("Networks")
	agent.tap("Choose this bundle")
	agent.expect("customer's email")
	agent.say("walkin@example.com")
	agent.expect("customer's full name")
	agent.say("Walk In")
	agent.expect("WhatsApp number")
	agent.say("+33 6 12 34 56 78")
	agent.expect("margin")
	agent.tap("Confirm")
	ready := agent.expect("eSIM is ready")
	agent.expect("QR code of the customer's eSIM")
	done := agent.expect("Sale done")
	receipt := agent.expect("Receipt")
	orders := sb.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders", len(orders))
	}
	ref := orders[0].Reference
	if !strings.Contains(done.Text, ref) || !strings.Contains(done.Text, "Wallet left") {
		t.Errorf("sale done %q, want %s and the wallet", done.Text, ref)
	}
	if !strings.Contains(receipt.Text, ref) || !strings.Contains(receipt.Text, "Walk In") {
		t.Errorf("receipt %q", receipt.Text)
	}
	var wa *url.URL
	for _, row := range ready.Buttons() {
		for _, b := range row {
			if strings.Contains(b.Text, "WhatsApp") {
				wa, _ = url.Parse(b.URL)
			}
		}
	}
	smdp, code, _ := reseller.SplitLPA(orders[0].ActivationCode)
	if wa == nil || wa.Host != "wa.me" || wa.Path != "/33612345678" || !strings.Contains(wa.Query().Get("text"), code) ||
		!strings.Contains(wa.Query().Get("text"), smdp) || !strings.Contains(wa.Query().Get("text"), reseller.InstallLinksFor(orders[0].ActivationCode).IOS) {
		t.Errorf("WhatsApp hand-off %v", wa)
	}

	agent.say("/sales")
	if txt := agent.expect("Sales").Text; !strings.Contains(txt, "Today: 1 sale") || !strings.Contains(txt, "This week: 1 sale") {
		t.Errorf("agent's /sales %q", txt)
	}
	admin.say("/sales")
	if txt := admin.expect("Sales").Text; !strings.Contains(txt, "Sam (701)") || !strings.Contains(txt, "Today: 1 sale") {
		t.Errorf("admin's /sales %q", txt)
	}
	admin.tap("CSV today")
	doc := waitDocument(t, fake, 700)
	if doc.Document.MIMEType != "text/csv" || !strings.HasSuffix(doc.Document.Filename, ".csv") || !strings.Contains(doc.Caption, "1 sale") {
		t.Errorf("document %s %s, caption %q", doc.Document.Filename, doc.Document.MIMEType, doc.Caption)
	}
	rows, err := csv.NewReader(bytes.NewReader(doc.Document.Data)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV %v: %q", err, doc.Document.Data)
	}
	want := map[string]string{
		"order_reference": ref, "state": "delivered", "kind": "new", "sold_by": "agent", "agent_id": "701", "agent_name": "Sam (701)",
		"bundle_code": orders[0].BundleCode, "iccid": orders[0].ICCID, "order_id": orders[0].ID, "customer_name": "Walk In",
		"customer_email": "walkin@example.com", "customer_whatsapp": "+33612345678",
	}
	if strings.Join(rows[0], ",") != strings.Join(flows.CSVColumns, ",") {
		t.Errorf("header %v, want %v", rows[0], flows.CSVColumns)
	}
	for i, col := range rows[0] {
		got := rows[1][i]
		switch col {
		case "created_at":
			if _, err := time.Parse(time.RFC3339, got); err != nil {
				t.Errorf("created_at %q: %v", got, err)
			}
		case "bundle_name", "currency":
			if got == "" {
				t.Errorf("%s empty", col)
			}
		case "retail_price", "cost", "margin":
			if !regexp.MustCompile(`^-?\d+\.\d\d$`).MatchString(got) {
				t.Errorf("%s %q", col, got)
			}
		default:
			if got != want[col] {
				t.Errorf("column %s = %q, want %q", col, got, want[col])
			}
		}
	}

	customer := newChat(t, fake, 702, "Ivy", "en")
	for _, cmd := range []string{"/sales", "/invite", "/agents", "/sales csv 2026-01-01 2026-12-31"} {
		customer.say(cmd)
		customer.expect("I don't know that command")
	}
	customer.say("/start")
	menu := customer.expect("What would you like to do")
	for _, data := range []string{"g.csv.d", "g.revoke.701"} {
		fake.PressButton(702, 702, menu.ID, data)
	}
	customer.say("/help")
	customer.expect("How it works") // the presses were handled before
	for _, m := range fake.Messages(702) {
		if m.Document != nil || strings.Contains(m.Text, "Walk In") || strings.Contains(m.Text, "inv_") {
			t.Errorf("a customer got shop data: %+v", m)
		}
	}
	agent.say("/sales")
	agent.expect("Sales") // still an agent: the forged revoke did nothing
}

// waitDocument waits for a document in a chat.
func waitDocument(t *testing.T, fake *telegramtest.Server, chat int64) telegramtest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var doc telegramtest.Message
	_, err := fake.WaitFor(ctx, chat, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			if m.Document != nil {
				doc = m
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no document: %v\n%s", err, fake.Transcript(chat))
	}
	return doc
}
