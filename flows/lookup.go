package flows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
)

// /find: staff look an order up by its reference, the eSIM's ICCID or the
// customer's email, see its state and send its QR code again (the g.qr
// button, which checks the sale is theirs, or that they are an admin).
// Agents find their own sales only.

// lookupKeys are the locale keys of /find.
var lookupKeys = []string{"find_usage", "find_none", "find_title", "find_line", "btn_resend_qr", "state_*"}

// maxFound is the most sales /find lists.
const maxFound = 5

// findCommand is /find <reference | ICCID | email>, for staff.
func findCommand(c Conversation, u User, in input) (Conversation, []effect) {
	if !staff(u.Role) {
		return unknownCommand(c, u, in)
	}
	q := strings.TrimSpace(in.ev.Args)
	if q == "" || len(q) > 254 {
		return c, []effect{in.say("find_usage")}
	}
	return c, []effect{findSales{q}}
}

// findSales sends the sales a query names, newest first.
type findSales struct{ query string }

func (x findSales) apply(ctx context.Context, t *turn) error {
	sales, err := t.e.lookup(ctx, x.query)
	if err != nil {
		return err
	}
	sales = slices.DeleteFunc(sales, func(s Sale) bool { return !mine(t.user, s) })
	slices.SortFunc(sales, func(a, b Sale) int { return b.Created.Compare(a.Created) })
	if len(sales) == 0 {
		return t.send(ctx, Message{Text: t.loc.T("find_none", "Query", clip(x.query, 64))}, false)
	}
	sales = sales[:min(len(sales), maxFound)]
	lines := []string{t.loc.T("find_title")}
	var rows [][]Button
	for _, s := range sales {
		lines = append(lines, t.loc.T("find_line", "Ref", s.Ref, "Bundle", s.BundleName, "State", stateLabel(t.loc, s.State),
			"Date", t.loc.Date(s.Created), "Name", s.Name, "Email", s.Email, "ICCID", s.ICCID))
		if s.LPA != "" {
			rows = append(rows, []Button{globalButton(t.loc.T("btn_resend_qr")+" · "+s.Ref, actQR, s.Ref)})
		}
	}
	return t.send(ctx, Message{Text: strings.Join(lines, "\n\n"), Buttons: rows}, false)
}

// lookup finds the sales of a reference, an ICCID or an email.
func (e *Engine) lookup(ctx context.Context, q string) ([]Sale, error) {
	switch {
	case strings.Contains(q, "@"):
		all, err := e.store.SalesBetween(ctx, time.Unix(0, 0), e.cfg.Now().Add(time.Hour))
		return slices.DeleteFunc(all, func(s Sale) bool { return !strings.EqualFold(s.Email, q) }), err
	case len(q) >= 18 && len(q) <= 22 && strings.IndexFunc(q, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return e.store.SalesByICCID(ctx, q)
	}
	s, err := e.store.Sale(ctx, strings.ToUpper(q))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []Sale{s}, nil
}

func (x findSales) String() string { return "find " + x.query }
