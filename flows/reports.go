package flows

import (
	"bytes"
	"context"
	"encoding/csv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// /sales: an agent's sales today and this week (count, total cost, total
// retail, margin); an admin sees every agent's, and exports a period as
// CSV (CSVColumns).

// CSVColumns are the columns of the sales export, in order (the README
// names them).
var CSVColumns = []string{"created_at", "order_reference", "state", "kind", "sold_by", "agent_id", "agent_name",
	"bundle_code", "bundle_name", "iccid", "order_id", "currency", "retail_price", "cost", "margin",
	"customer_name", "customer_email", "customer_whatsapp"}

// actExport exports sales as CSV (global arg: d, w or m for today, this
// week, this month).
const actExport action = "csv"

// reportKeys are the locale keys of /sales and the export.
var reportKeys = []string{"sales_title", "sales_totals", "sales_today", "sales_week", "sales_agent_line", "sales_none",
	"btn_export_day", "btn_export_week", "btn_export_month", "export_caption", "export_usage"}

// salesCommand is /sales: the report, for staff; "/sales csv FROM TO"
// (dates, YYYY-MM-DD, TO included) exports, for admins.
func salesCommand(c Conversation, u User, in input) (Conversation, []effect) {
	if !staff(u.Role) {
		return unknownCommand(c, u, in)
	}
	args := strings.Fields(in.ev.Args)
	if len(args) == 0 {
		return c, []effect{salesReport{}}
	}
	if !isAdmin(u) || strings.ToLower(args[0]) != "csv" || len(args) != 3 {
		return c, []effect{in.say("export_usage", "Example", "/sales csv 2026-11-01 2026-11-30")}
	}
	from, err1 := time.Parse(time.DateOnly, args[1])
	to, err2 := time.Parse(time.DateOnly, args[2])
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		return c, []effect{in.say("export_usage", "Example", "/sales csv 2026-11-01 2026-11-30")}
	}
	return c, []effect{exportSales{from: args[1], to: args[2]}}
}

// exportButton is an export button of the admin's report.
func exportButton(c Conversation, u User, in input) (Conversation, []effect) {
	if !isAdmin(u) {
		return staling(c, u, in)
	}
	switch in.press.arg {
	case "d", "w", "m":
		return c, []effect{exportSales{period: in.press.arg}}
	}
	return staling(c, u, in)
}

// startOfDay is midnight of t's day, in t's location.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// startOfWeek is midnight of the Monday of t's week.
func startOfWeek(t time.Time) time.Time {
	day := startOfDay(t)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// Totals sum the sales of a period that were not failed.
type Totals struct {
	// Count is the number of sales.
	Count int
	// Cost, Retail and Margin are their sums, in Currency.
	Cost, Retail, Margin decimal.Decimal
	Currency             string
}

// add counts a sale, unless it failed.
func (t *Totals) add(s Sale) {
	if s.State == SaleFailed {
		return
	}
	t.Count++
	t.Cost = t.Cost.Add(s.Cost)
	t.Retail = t.Retail.Add(s.Price)
	t.Margin = t.Retail.Sub(t.Cost)
	if t.Currency == "" {
		t.Currency = s.Currency
	}
}

// salesReport sends the /sales report: the user's own (an agent), or
// every seller's (an admin).
type salesReport struct{}

// exportSales sends the sales of a period as a CSV document: today, this
// week or this month (period d, w, m), or the days from to to (DateOnly,
// to included), in the clock's time zone.
type exportSales struct{ period, from, to string }

// span is the export's period as [from, to).
func (x exportSales) span(now time.Time) (time.Time, time.Time) {
	day := startOfDay(now)
	switch x.period {
	case "d":
		return day, day.AddDate(0, 0, 1)
	case "w":
		return startOfWeek(now), day.AddDate(0, 0, 1)
	case "m":
		return day.AddDate(0, 0, 1-day.Day()), day.AddDate(0, 0, 1)
	}
	from, _ := time.ParseInLocation(time.DateOnly, x.from, now.Location())
	to, _ := time.ParseInLocation(time.DateOnly, x.to, now.Location())
	return from, to.AddDate(0, 0, 1)
}

func (salesReport) apply(ctx context.Context, t *turn) error {
	now := t.e.cfg.Now()
	day, week := startOfDay(now), startOfWeek(now)
	sales, err := t.e.store.SalesBetween(ctx, week, now.Add(time.Nanosecond))
	if err != nil {
		return err
	}
	type seller struct{ today, week Totals }
	by := map[UserID]*seller{}
	for _, s := range sales {
		if !staff(s.SoldBy) || (!isAdmin(t.user) && s.User != t.user.ID) {
			continue
		}
		x := by[s.User]
		if x == nil {
			x = &seller{}
			by[s.User] = x
		}
		x.week.add(s)
		if !s.Created.Before(day) {
			x.today.add(s)
		}
	}
	loc := t.loc
	line := func(key string, x Totals) string {
		cur := x.Currency
		if cur == "" {
			cur = t.e.cfg.Currency
		}
		return loc.T(key, "Totals", loc.N("sales_totals", x.Count, "Cost", loc.Price(x.Cost, cur),
			"Retail", loc.Price(x.Retail, cur), "Margin", loc.Price(x.Margin, cur)))
	}
	text := loc.T("sales_title")
	if !isAdmin(t.user) {
		x := by[t.user.ID]
		if x == nil {
			x = &seller{}
		}
		text += "\n" + line("sales_today", x.today) + "\n" + line("sales_week", x.week)
		return t.send(ctx, Message{Text: text}, false)
	}
	names := t.e.agentNames(ctx)
	ids := make([]UserID, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) == 0 {
		text += "\n" + loc.T("sales_none")
	}
	for _, id := range ids {
		x := by[id]
		text += "\n\n" + loc.T("sales_agent_line", "Name", names(id)) + "\n" + line("sales_today", x.today) + "\n" + line("sales_week", x.week)
	}
	global := func(label, arg string) Button {
		return Button{Text: loc.T(label), Data: press{global: true, act: actExport, arg: arg}.data()}
	}
	return t.send(ctx, Message{Text: text, Buttons: [][]Button{{global("btn_export_day", "d"), global("btn_export_week", "w"),
		global("btn_export_month", "m")}}}, false)
}

// agentNames returns how to name a seller: the name an invite recorded,
// or the user ID.
func (e *Engine) agentNames(ctx context.Context) func(UserID) string {
	grants, err := e.store.Grants(ctx)
	if err != nil {
		e.log.WarnContext(ctx, "agent names", "err", err)
	}
	names := map[UserID]string{}
	for _, g := range grants {
		names[g.User] = g.Name
	}
	return func(id UserID) string {
		n := strconv.FormatInt(int64(id), 10)
		if names[id] != "" {
			return clip(names[id], 32) + " (" + n + ")"
		}
		return n
	}
}

func (x exportSales) apply(ctx context.Context, t *turn) error {
	from, to := x.span(t.e.cfg.Now())
	sales, err := t.e.store.SalesBetween(ctx, from, to)
	if err != nil {
		return err
	}
	names := t.e.agentNames(ctx)
	data, err := salesCSV(sales, names)
	if err != nil {
		return err
	}
	last := to.AddDate(0, 0, -1)
	name := "sales-" + from.Format("20060102") + "-" + last.Format("20060102") + ".csv"
	caption := t.loc.N("export_caption", len(sales), "From", from.Format(time.DateOnly), "To", last.Format(time.DateOnly))
	return t.send(ctx, Message{Text: caption, Document: &Document{Name: name, Data: data}}, false)
}

// salesCSV writes sales as CSV with a header of CSVColumns. Text fields
// that a spreadsheet would run as a formula start with a quote.
func salesCSV(sales []Sale, names func(UserID) string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(CSVColumns); err != nil {
		return nil, err
	}
	for _, s := range sales {
		agentID, agentName := "", ""
		if staff(s.SoldBy) {
			agentID, agentName = strconv.FormatInt(int64(s.User), 10), names(s.User)
		}
		row := []string{s.Created.UTC().Format(time.RFC3339), s.Ref, string(s.State), string(s.Kind), string(s.SoldBy),
			agentID, agentName, s.BundleCode, s.BundleName, s.ICCID, s.OrderID, s.Currency,
			s.Price.StringFixed(2), s.Cost.StringFixed(2), s.Price.Sub(s.Cost).StringFixed(2), s.Name, s.Email, s.WhatsApp}
		for i, v := range row {
			row[i] = defuse(v)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// defuse keeps a spreadsheet from running a field as a formula.
func defuse(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !isNumber(v) {
		return "'" + v
	}
	return v
}

// isNumber reports whether v is a plain decimal number (a negative margin).
func isNumber(v string) bool {
	_, err := decimal.NewFromString(v)
	return err == nil
}

func (salesReport) String() string { return "sales report" }
func (x exportSales) String() string {
	return strings.Join(strings.Fields("export "+x.period+" "+x.from+" "+x.to), " ")
}
