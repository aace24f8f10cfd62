package flows_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestWhatsAppUsage: an agent's usage screen of a customer's eSIM has a
// wa.me link to the customer's WhatsApp number with the usage summary
// prefilled, as plain text; without a number, none; a customer's own
// usage screen has none.
func TestWhatsAppUsage(t *testing.T) {
	w := newWorld(t)
	c := w.chat(900, "Agent", "en")
	toEmail(c)
	c.say("walkin@example.com")
	c.say("Walk In")
	c.say("+33 6 12 34 56 78")
	c.tap("✅")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].WhatsApp == "" {
		t.Fatalf("sales %+v", sales)
	}
	c.command("/usage " + sales[0].ICCID)
	var link string
	for _, row := range c.last().Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.URL, "https://wa.me/") {
				link = b.URL
			}
		}
	}
	u, err := url.Parse(link)
	if err != nil || u.Path != "/33612345678" {
		t.Fatalf("WhatsApp link %q on:\n%s", link, c.log.String())
	}
	text := u.Query().Get("text")
	if !strings.Contains(text, "Here is the usage of your eSIM") || !strings.Contains(text, sales[0].ICCID) || strings.Contains(text, "<") {
		t.Errorf("prefilled text %q", text)
	}

	c, s := agentSale(t, newWorld(t)) // no WhatsApp number
	c.command("/usage " + s.ICCID)
	noLink(t, c, "without a number")
	c = purchase(t, newWorld(t), "en") // a customer, with a number
	c.command("/usage")
	noLink(t, c, "for a customer")
}

// noLink fails if the chat's last message has a link button.
func noLink(t *testing.T, c *chat, why string) {
	t.Helper()
	for _, row := range c.last().Buttons {
		for _, b := range row {
			if b.URL != "" {
				t.Errorf("a link %s: %q", why, b.URL)
			}
		}
	}
}
