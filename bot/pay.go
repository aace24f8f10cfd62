package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

// Payments in Telegram Stars: the invoice a flows.Message carries
// (sendInvoice), the pre_checkout_query Telegram gives a bot 10 s to
// answer, the successful_payment message, and refundStarPayment.

// preCheckoutDeadline is how long the engine has to decide on a
// pre_checkout_query, well within Telegram's 10 s so the answer is in time.
const preCheckoutDeadline = 7 * time.Second

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdatePreCheckoutQuery}

// Payer is an Engine that takes payments (*flows.Engine is one).
type Payer interface {
	// CheckPayment decides on a pre-checkout: ok, or a reason for the user.
	CheckPayment(ctx context.Context, q flows.PreCheckout) (ok bool, reason string)
	// Paid takes a payment received.
	Paid(ctx context.Context, p flows.Payment) error
}

// sendInvoice sends an invoice in Stars: currency XTR, no provider token,
// exactly one price, as Telegram requires for digital goods.
func (s *sender) sendInvoice(ctx context.Context, chat int64, inv *flows.Invoice) error {
	return s.call(ctx, "sendInvoice", chat, func(ctx context.Context) error {
		_, err := s.tg.SendInvoice(ctx, &tg.SendInvoiceParams{
			ChatID: chat, Title: inv.Title, Description: inv.Description, Payload: inv.Payload,
			Currency: flows.StarsCurrency, Prices: []models.LabeledPrice{{Label: inv.Label, Amount: int(inv.Stars)}},
		})
		return err
	})
}

// onPreCheckout answers a pre_checkout_query within Telegram's deadline:
// the engine decides within preCheckoutDeadline, and a late or absent
// decision is a decline the user can retry.
func (b *Bot) onPreCheckout(ctx context.Context, engine Engine, q *models.PreCheckoutQuery) string {
	ok, reason := false, ""
	if p, isPayer := engine.(Payer); isPayer && q.From != nil {
		dctx, cancel := context.WithTimeout(ctx, preCheckoutDeadline)
		ok, reason = p.CheckPayment(dctx, flows.PreCheckout{User: flows.UserID(q.From.ID), Stars: int64(q.TotalAmount),
			Currency: q.Currency, Payload: q.InvoicePayload})
		cancel()
	}
	if !ok && strings.TrimSpace(reason) == "" {
		reason = "This payment cannot be accepted now."
	}
	if ok {
		reason = ""
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if _, err := b.tg.AnswerPreCheckoutQuery(actx, &tg.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: q.ID, OK: ok, ErrorMessage: reason}); err != nil {
		b.log.Warn("answer pre-checkout query", "err", redact(err, b.cfg.Token))
	}
	return "pre_checkout"
}

// onPayment hands a successful_payment to the engine, which records it
// before anything else.
func (b *Bot) onPayment(ctx context.Context, engine Engine, m *models.Message) string {
	sp := m.SuccessfulPayment
	p, isPayer := engine.(Payer)
	if !isPayer || m.From == nil {
		b.log.Error("payment received but the engine takes no payments", "charge", sp.TelegramPaymentChargeID)
		return "payment"
	}
	err := p.Paid(ctx, flows.Payment{ChargeID: sp.TelegramPaymentChargeID, ProviderChargeID: sp.ProviderPaymentChargeID,
		Chat: flows.ChatID(m.Chat.ID), User: flows.UserID(m.From.ID), Stars: int64(sp.TotalAmount), Currency: sp.Currency,
		Payload: sp.InvoicePayload})
	if err != nil {
		b.log.Error("record payment", "chat", m.Chat.ID, "err", err)
	}
	return "payment"
}

// Refunder returns the flows.Refunder that refunds Stars payments with
// refundStarPayment.
func (b *Bot) Refunder() flows.Refunder { return starRefunder{b} }

type starRefunder struct{ b *Bot }

func (r starRefunder) RefundStars(ctx context.Context, user flows.UserID, charge string) error {
	err := r.b.out.call(ctx, "refundStarPayment", int64(user), func(ctx context.Context) error {
		_, err := r.b.tg.RefundStarPayment(ctx, &tg.RefundStarPaymentParams{UserID: int64(user), TelegramPaymentChargeID: charge})
		return err
	})
	if err != nil && strings.Contains(err.Error(), "CHARGE_ALREADY_REFUNDED") {
		return errors.Join(flows.ErrAlreadyRefunded, err)
	}
	return err
}
