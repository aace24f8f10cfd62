package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// The fixtures of the transition table: what the engine would load, as
// plain values. No store, reseller or clock takes part.
const (
	stamp    = 7
	iccid1   = "8900000000000000001"
	iccid2   = "8900000000000000002"
	customer = UserID(101)
	agent    = UserID(900)
)

var (
	fra1 = BundleOffer{Code: "FRA_1GB_7D", Name: "France 1GB 7 Days", Category: destCountry, Countries: []string{"FRA"},
		Price: decimal.RequireFromString("4.01"), Currency: "USD", DataMB: 1024, Days: 7}
	fra3 = BundleOffer{Code: "FRA_3GB_30D", Name: "France 3GB 30 Days", Category: destCountry, Countries: []string{"FRA"},
		Price: decimal.RequireFromString("9.50"), Currency: "USD", DataMB: 3072, Days: 30, Topup: true}
	eur1 = BundleOffer{Code: "EUR_1GB_7D", Name: "Europe 1GB", Category: destRegion, Region: "EUR", Countries: []string{"FRA", "DEU", "ESP"},
		Price: decimal.RequireFromString("6.00"), Currency: "USD", DataMB: 1024, Days: 7, CallsSMS: true}
	sale1 = Sale{Ref: "EB-1", Kind: KindNew, User: customer, ICCID: iccid1, OrderID: "O1", LPA: "LPA:1$smdp.example$CODE1",
		BundleCode: fra1.Code, BundleName: "France · 1 GB · 7 days", State: SaleDelivered, Email: "ada@example.com", Name: "Ada Lovelace",
		Created: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Days: 7}
	sale2 = Sale{Ref: "EB-2", Kind: KindNew, User: 202, ICCID: iccid2, OrderID: "O2", BundleCode: fra1.Code,
		BundleName: "France · 1 GB · 7 days", State: SaleAssigned, Name: "Bob"}
)

// fixtures are the loaded data of the table, every need a transition or a
// screen of it asks for.
func fixtures() loaded {
	ok := func(v any) result { return result{v: v} }
	return loaded{
		needCountries:                                            ok([]string{"FRA", "DEU", "ESP", "JPN", "USA", "GBR", "GUF", "PYF", "ATF"}),
		needRegions:                                              ok([]reseller.Region{{Code: "EUR", Name: "Europe"}, {Code: "ASI", Name: "Asia"}}),
		needOffers(destCountry, "FRA"):                           ok([]BundleOffer{fra1, fra3}),
		needOffers(destRegion, "EUR"):                            ok([]BundleOffer{eur1}),
		needOffers(destGlobal, ""):                               ok([]BundleOffer{}),
		needOffers(destCountry, "DEU"):                           ok([]BundleOffer{}),
		needOffers(destCountry, "ESP"):                           ok([]BundleOffer{}),
		needOffers(destCountry, "JPN"):                           ok([]BundleOffer{}),
		needOffers(destCountry, "GUF"):                           ok([]BundleOffer{}),
		needOffers(destCruise, ""):                               ok([]BundleOffer{}),
		needFresh(Draft{DestKind: destCountry, DestCode: "FRA"}): ok([]BundleOffer{fra1, fra3}),
		needFresh(Draft{Kind: KindTopup, ICCID: iccid1}):         ok([]BundleOffer{fra3}),
		needNetworks(fra1.Code):                                  ok([]reseller.Network{{CountryCode: "FRA", Name: "Orange", Speeds: reseller.StringList{"4G", "5G"}}}),
		needNetworks(eur1.Code):                                  ok([]reseller.Network{{CountryCode: "FRA", Name: "Orange"}, {CountryCode: "DEU", Name: "Telekom"}}),
		needBundle("FRA_1GB_7D"):                                 ok(&fra1),
		needBundle("nonsense"):                                   ok((*BundleOffer)(nil)),
		needTopups(iccid1):                                       ok([]BundleOffer{fra3}),
		needESIMs:                                                ok([]esim{{first: sale1}}),
		needOrders:                                               ok([]Sale{{Ref: "EB-9", Kind: KindNew, BundleName: "France · 1 GB · 7 days", State: SaleFailed, Stars: 201, ChargeID: "ch-9", Refund: RefundDone}}),
		needESIM("EB-1"):                                         ok(esimData{first: sale1, all: []Sale{sale1}}),
		needESIM("EB-2"):                                         ok(esimData{first: sale2, all: []Sale{sale2}}),
		needSale("EB-1"):                                         ok(sale1),
		needSale("EB-2"):                                         ok(sale2),
		needProfileSales(iccid1):                                 ok([]Sale{sale1}),
		needProfileSales(iccid2):                                 ok([]Sale{sale2}),
		needUsage(iccid1): ok(usageData{c: reseller.Consumption{ProfileStatus: "active", Balances: []reseller.Balance{
			{OrderID: "O1", BundleCode: fra1.Code, RemainingMB: 512, TotalMB: 1024, Status: "active"}}}, sales: []Sale{sale1}}),
	}
}

var testCatalog = locales.MustNew()

// testInput is the input of an event in English, with the fixtures.
func testInput(t *testing.T, ev Event, data loaded) input {
	t.Helper()
	cat := testCatalog
	cfg := Config{Sandbox: true, Now: func() time.Time {
		t.Fatal("a transition read the clock")
		return time.Time{}
	}}
	cfg.defaults()
	return input{ev: ev, loc: cat.For("en"), cfg: &cfg, langs: cat.Languages(), data: data}
}

// decide runs an event's transition the way the engine does, fetching
// from the fixtures.
func decide(t *testing.T, c Conversation, u User, in input, fix loaded) (Conversation, []effect, handler) {
	t.Helper()
	h, hin := handlerOf(c, in)
	for range maxRuns {
		next, effects := h.run(c, u, hin)
		needs := fetches(effects)
		if len(needs) == 0 {
			return next, effects, h
		}
		for _, n := range needs {
			r, ok := fix[n]
			if !ok {
				t.Fatalf("no fixture for %v", n)
			}
			hin.data[n] = r
		}
	}
	t.Fatal("the transition keeps asking for data")
	return c, nil, h
}

// The events of the table.
func tap(a action, arg ...string) Event {
	p := press{stamp: stamp, act: a}
	if len(arg) > 0 {
		p.arg = arg[0]
	}
	return Event{Kind: EventButton, Data: p.data()}
}
func global(a action, arg string) Event {
	return Event{Kind: EventButton, Data: press{global: true, act: a, arg: arg}.data()}
}
func typed(s string) Event        { return Event{Kind: EventText, Text: s} }
func cmd(name, args string) Event { return Event{Kind: EventCommand, Command: name, Args: args} }
func shared(phone string) Event   { return Event{Kind: EventContact, Phone: phone} }
func media(id int64, caption string) Event {
	return Event{Kind: EventMedia, MessageID: id, Text: caption}
}

// trigger names what an event is at a step, for the coverage of the table.
func trigger(c Conversation, ev Event) string {
	switch ev.Kind {
	case EventCommand:
		return "/" + ev.Command
	case EventText, EventContact, EventMedia:
		def := steps[c.Step]
		switch {
		case ev.Kind == EventText && strings.TrimSpace(ev.Text) != "" && def.text.run != nil:
			return "text"
		case ev.Kind == EventContact && def.contact.run != nil:
			return "contact"
		case ev.Kind == EventMedia && def.media.run != nil:
			return "media"
		case def != nil && def.other.run != nil:
			return "other"
		}
		return map[EventKind]string{EventText: "text", EventContact: "contact", EventMedia: "media"}[ev.Kind]
	}
	p, ok := parsePress(ev.Data)
	switch {
	case !ok:
		return "forged"
	case p.global:
		return "g." + string(p.act)
	case p.stamp != c.Stamp:
		return "stale"
	}
	return string(p.act)
}

// Drafts of the table.
var (
	atFrance  = Draft{Kind: KindNew, DestKind: destCountry, DestCode: "FRA", Choices: []string{fra1.Code, fra3.Code}}
	chosen1   = Draft{Kind: KindNew, DestKind: destCountry, DestCode: "FRA", Choices: []string{fra1.Code, fra3.Code}, Bundle: &fra1}
	detailed  = Draft{Kind: KindNew, DestKind: destCountry, DestCode: "FRA", Bundle: &fra1, Email: "ada@example.com", Name: "Ada Lovelace"}
	editing   = Draft{Kind: KindNew, DestKind: destCountry, DestCode: "FRA", Bundle: &fra1, Email: "ada@example.com", Name: "Ada Lovelace", Editing: true}
	atRegion  = Draft{Kind: KindNew, DestKind: destRegion, DestCode: "EUR", Choices: []string{eur1.Code}, Bundle: &eur1}
	onESIM    = Draft{TopupRef: "EB-1"}
	topping   = Draft{Kind: KindTopup, TopupRef: "EB-1", ICCID: iccid1, Choices: []string{fra3.Code}, Email: "ada@example.com", Name: "Ada Lovelace"}
	toppingUp = Draft{Kind: KindTopup, TopupRef: "EB-1", ICCID: iccid1, Bundle: &fra3, Email: "ada@example.com", Name: "Ada Lovelace"}
)
