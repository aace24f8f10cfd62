package flows_test

import (
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// closedSales is a world where customers may not buy without paying.
func closedSales(support string) worldOption {
	return func(_ *sandbox.Options, c *flows.Config) {
		c.ClosedSales, c.Payments, c.Support = true, flows.PaymentsNone, support
	}
}

func TestClosedSalesCustomerConfirm(t *testing.T) {
	for _, tc := range []struct{ name, support, want string }{
		{"WithSupport", "@my_shop", "contact @my_shop"},
		{"NoSupport", "", "contact the shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, closedSales(tc.support))
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			c.tap("✅")
			if n := len(w.sb.Orders()); n != 0 {
				t.Errorf("%d orders, want none", n)
			}
			if sales, _ := w.store.SalesByUser(t.Context(), 101); len(sales) != 0 {
				t.Errorf("%d sale records, want none", len(sales))
			}
			msgs := w.rec.messages(c.id)
			var said bool
			for _, m := range msgs {
				said = said || strings.Contains(m.Text, tc.want)
			}
			if !said {
				t.Errorf("no message says %q:\n%s", tc.want, c.log.String())
			}
			if !strings.Contains(c.lastText(), "Your order") {
				t.Errorf("the summary is not shown again: %q", c.lastText())
			}
		})
	}
}
