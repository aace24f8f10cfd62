package flows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

// purchase plays a whole purchase of a French bundle and returns the chat.
func purchase(t *testing.T, w *world, lang string) *chat {
	c := w.chat(101, "Ada", lang)
	c.command("/start")
	c.tap("🛒")
	c.say("france")
	c.tap(gb(lang, 1))
	c.tap("✅")
	c.say("ada@example.com")
	c.tap("Ada")
	c.say("+33 6 12 34 56 78")
	c.tap("✅")
	return c
}

// gb is the label of a data volume in a language.
func gb(lang string, n int) string {
	switch lang {
	case "fr":
		return fmt.Sprintf("%d Go", n)
	case "ar":
		return mustCatalog().For("ar").Number(int64(n)) + " غيغابايت"
	}
	return fmt.Sprintf("%d GB", n)
}

func TestPurchaseEnglish(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	photos := c.photos()
	if len(photos) != 1 {
		t.Fatalf("%d photos sent, want 1:\n%s", len(photos), c.log.String())
	}
	orders := w.sb.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders in the sandbox, want 1", len(orders))
	}
	o := orders[0]
	if o.Email != "ada@example.com" || o.Name != "Ada" || o.WhatsApp != "+33612345678" {
		t.Errorf("sandbox order %+v", o)
	}
	s, err := w.store.Sale(t.Context(), o.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != flows.SaleDelivered || s.ICCID != o.ICCID || s.LPA != o.ActivationCode {
		t.Errorf("sale %+v", s)
	}
	if !strings.Contains(c.log.String(), o.ICCID) {
		t.Error("ICCID not shown")
	}
	c.golden("purchase_en")
}
