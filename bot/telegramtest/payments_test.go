package telegramtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

const buyer = 31

// invoiceParams is a valid Stars invoice for the buyer's chat.
func invoiceParams() *bot.SendInvoiceParams {
	return &bot.SendInvoiceParams{
		ChatID:      buyer,
		Title:       "France 5 GB · 30 days",
		Description: "eSIM for France, 5 GB for 30 days",
		Payload:     "sale:ESB-000001",
		Currency:    "XTR",
		Prices:      []models.LabeledPrice{{Label: "eSIM", Amount: 250}},
	}
}

// sendInvoice sends invoiceParams with the library and returns the message.
func sendInvoice(t *testing.T, h *harness) *models.Message {
	t.Helper()
	m, err := h.bot.SendInvoice(testContext(t), invoiceParams())
	if err != nil {
		t.Fatalf("sendInvoice: %v", err)
	}
	return m
}

// decoded returns an update of the fake as the library decodes it.
func decoded(t *testing.T, fake *telegramtest.Server, updateID int64) models.Update {
	t.Helper()
	var u models.Update
	if err := json.Unmarshal(fake.Update(updateID), &u); err != nil {
		t.Fatalf("update %d: %v", updateID, err)
	}
	return u
}

// pay makes the buyer pay the invoice and returns the query ID.
func pay(t *testing.T, fake *telegramtest.Server, invoiceID int) string {
	t.Helper()
	_, queryID, err := fake.Pay(buyer, buyer, invoiceID)
	if err != nil {
		t.Fatal(err)
	}
	return queryID
}

func answer(t *testing.T, h *harness, queryID string, ok bool, msg string) error {
	t.Helper()
	_, err := h.bot.AnswerPreCheckoutQuery(testContext(t), &bot.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: queryID, OK: ok, ErrorMessage: msg})
	return err
}

func TestSendInvoice(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	payButton := inlineKeyboard([]models.InlineKeyboardButton{{Text: "Pay ⭐️250", Pay: true}}, []models.InlineKeyboardButton{{Text: "Cancel", CallbackData: "cancel"}})
	for _, tc := range []struct {
		name   string
		change func(p *bot.SendInvoiceParams)
		want   string // the refusal, "" for OK
	}{
		{"OK", func(p *bot.SendInvoiceParams) {}, ""},
		{"OKWithPayButton", func(p *bot.SendInvoiceParams) { p.ReplyMarkup = payButton }, ""},
		{"OKLongest", func(p *bot.SendInvoiceParams) {
			p.Title, p.Description, p.Payload = strings.Repeat("é", 32), strings.Repeat("d", 255), strings.Repeat("p", 128)
		}, ""},
		{"ErrTitleEmpty", func(p *bot.SendInvoiceParams) { p.Title = " " }, "INVOICE_TITLE_INVALID"},
		{"ErrTitleTooLong", func(p *bot.SendInvoiceParams) { p.Title = strings.Repeat("t", 33) }, "INVOICE_TITLE_INVALID"},
		{"ErrDescriptionEmpty", func(p *bot.SendInvoiceParams) { p.Description = "" }, "INVOICE_DESCRIPTION_INVALID"},
		{"ErrDescriptionTooLong", func(p *bot.SendInvoiceParams) { p.Description = strings.Repeat("d", 256) }, "INVOICE_DESCRIPTION_INVALID"},
		{"ErrPayloadEmpty", func(p *bot.SendInvoiceParams) { p.Payload = "" }, "INVOICE_PAYLOAD_INVALID"},
		{"ErrPayloadTooLong", func(p *bot.SendInvoiceParams) { p.Payload = strings.Repeat("é", 65) }, "INVOICE_PAYLOAD_INVALID"},
		{"ErrCurrency", func(p *bot.SendInvoiceParams) { p.Currency = "USD" }, "PAYMENT_PROVIDER_INVALID"},
		{"ErrProviderToken", func(p *bot.SendInvoiceParams) { p.ProviderToken = "284685063:TEST:abc" }, "STARS_INVOICE_INVALID"},
		{"ErrTips", func(p *bot.SendInvoiceParams) { p.MaxTipAmount = 10 }, "STARS_INVOICE_INVALID"},
		{"ErrTwoPrices", func(p *bot.SendInvoiceParams) {
			p.Prices = append(p.Prices, models.LabeledPrice{Label: "fee", Amount: 1})
		}, "STARS_INVOICE_INVALID"},
		{"ErrNoPrice", func(p *bot.SendInvoiceParams) { p.Prices = []models.LabeledPrice{} }, "CURRENCY_TOTAL_AMOUNT_INVALID"},
		{"ErrZeroAmount", func(p *bot.SendInvoiceParams) { p.Prices[0].Amount = 0 }, "CURRENCY_TOTAL_AMOUNT_INVALID"},
		{"ErrNegativeAmount", func(p *bot.SendInvoiceParams) { p.Prices[0].Amount = -5 }, "CURRENCY_TOTAL_AMOUNT_INVALID"},
		{"ErrFirstButtonNotPay", func(p *bot.SendInvoiceParams) {
			p.ReplyMarkup = inlineKeyboard([]models.InlineKeyboardButton{{Text: "Cancel", CallbackData: "cancel"}, {Text: "Pay", Pay: true}})
		}, "REPLY_MARKUP_BUY_EMPTY"},
		{"ErrReplyKeyboard", func(p *bot.SendInvoiceParams) {
			p.ReplyMarkup = &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "Pay"}}}}
		}, "inline keyboard expected"},
		{"ErrChatNotFound", func(p *bot.SendInvoiceParams) { p.ChatID = 999 }, "chat not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := invoiceParams()
			tc.change(p)
			before := len(h.fake.Messages(buyer))
			m, err := h.bot.SendInvoice(testContext(t), p)
			if tc.want != "" {
				wantBadRequest(t, err, "Bad Request: "+tc.want)
				if got := len(h.fake.Messages(buyer)); got != before {
					t.Errorf("got %d messages after a refusal, want %d", got, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// What the library decodes.
			want := &models.Invoice{Title: p.Title, Description: p.Description, Currency: "XTR", TotalAmount: 250}
			if diff := cmp.Diff(want, m.Invoice); diff != "" {
				t.Errorf("decoded invoice (-want +got):\n%s", diff)
			}
			if p.ReplyMarkup != nil && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) != 2 || !m.ReplyMarkup.InlineKeyboard[0][0].Pay) {
				t.Errorf("decoded markup %+v, want the pay button first", m.ReplyMarkup)
			}
			// What the fake keeps.
			got, ok := h.fake.Message(buyer, m.ID)
			if !ok || !got.FromBot {
				t.Fatalf("invoice %d not in the chat: %+v", m.ID, got)
			}
			wantInv := &telegramtest.Invoice{Title: p.Title, Description: p.Description, Payload: p.Payload, Currency: "XTR", TotalAmount: 250, PriceLabel: "eSIM"}
			if diff := cmp.Diff(wantInv, got.Invoice); diff != "" {
				t.Errorf("kept invoice (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("Transcript", func(t *testing.T) {
		h := newHarness(t)
		h.fake.SetUser(buyer, "Ann", "", "", "en")
		p := invoiceParams()
		p.ReplyMarkup = payButton
		if _, err := h.bot.SendInvoice(testContext(t), p); err != nil {
			t.Fatal(err)
		}
		want := "#1 bot: [invoice 250 XTR] France 5 GB · 30 days: eSIM for France, 5 GB for 30 days\n    [Pay ⭐️250]\n    [Cancel]\n"
		if got := h.fake.Transcript(buyer); got != want {
			t.Errorf("got transcript\n%s\nwant\n%s", got, want)
		}
	})
}

// TestEditInvoice checks that an invoice keeps a pay button first and has
// no text to edit.
func TestEditInvoice(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	inv := sendInvoice(t, h)
	ctx := testContext(t)
	for _, tc := range []struct {
		name   string
		markup *models.InlineKeyboardMarkup
		want   string
	}{
		{"OK", inlineKeyboard([]models.InlineKeyboardButton{{Text: "Pay now", Pay: true}}), ""},
		{"ErrNoPayButton", inlineKeyboard([]models.InlineKeyboardButton{{Text: "Cancel", CallbackData: "cancel"}}), "REPLY_MARKUP_BUY_EMPTY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.bot.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: buyer, MessageID: inv.ID, ReplyMarkup: tc.markup})
			if tc.want != "" {
				wantBadRequest(t, err, "Bad Request: "+tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	_, err := h.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: buyer, MessageID: inv.ID, Text: "new"})
	wantBadRequest(t, err, "there is no text in the message to edit")
	if m, _ := h.fake.Message(buyer, inv.ID); m.Invoice == nil || m.Buttons()[0][0].Text != "Pay now" {
		t.Errorf("got invoice message %+v", m)
	}
}

// TestSendInvoiceRaw sends what the library never does: an explicitly
// empty provider_token, and prices that are not a JSON array.
func TestSendInvoiceRaw(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	fake.SetUser(buyer, "Ann", "", "", "en")
	for _, tc := range []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"OKEmptyProviderToken", `{"chat_id":31,"title":"T","description":"D","payload":"p","provider_token":"","currency":"XTR","prices":[{"label":"x","amount":1}]}`, 200, ""},
		{"ErrPricesNotJSON", `{"chat_id":31,"title":"T","description":"D","payload":"p","currency":"XTR","prices":"many"}`, 400, "Bad Request: can't parse prices JSON object"},
		{"ErrPricesMissing", `{"chat_id":31,"title":"T","description":"D","payload":"p","currency":"XTR"}`, 400, `Bad Request: parameter "prices" is required`},
		{"ErrFractionalAmount", `{"chat_id":31,"title":"T","description":"D","payload":"p","currency":"XTR","prices":[{"label":"x","amount":1.5}]}`, 400, "Bad Request: can't parse prices JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, fake, "sendInvoice", "application/json", tc.body)
			if status != tc.status {
				t.Fatalf("got %d %v, want %d", status, out, tc.status)
			}
			if tc.want != "" && out["description"] != tc.want {
				t.Errorf("got description %q, want %q", out["description"], tc.want)
			}
		})
	}
}

func TestPay(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "ann", "en")
	inv := sendInvoice(t, h)

	// The buyer taps Pay: the bot gets a pre_checkout_query.
	updateID, queryID, err := h.fake.Pay(buyer, buyer, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	u := decoded(t, h.fake, updateID)
	q := u.PreCheckoutQuery
	if q == nil {
		t.Fatalf("update %d is not a pre_checkout_query: %s", updateID, h.fake.Update(updateID))
	}
	want := models.PreCheckoutQuery{ID: queryID, From: q.From, Currency: "XTR", TotalAmount: 250, InvoicePayload: "sale:ESB-000001"}
	if diff := cmp.Diff(want, *q); diff != "" || q.From == nil || q.From.ID != buyer || q.From.Username != "ann" {
		t.Errorf("pre_checkout_query (-want +got):\n%s\nfrom %+v", diff, q.From)
	}
	if _, _, err := h.fake.Pay(buyer, buyer, inv.ID); err == nil || !strings.Contains(err.Error(), "not answered yet") {
		t.Errorf("second Pay while the query is open: got %v", err)
	}

	// The bot says yes: the payment follows as a message.
	if err := answer(t, h, queryID, true, ""); err != nil {
		t.Fatal(err)
	}
	pays := h.fake.Payments()
	if len(pays) != 1 {
		t.Fatalf("got %d payments, want 1", len(pays))
	}
	p := pays[0]
	m := decoded(t, h.fake, p.UpdateID).Message
	if m == nil || m.SuccessfulPayment == nil {
		t.Fatalf("update %d has no successful_payment: %s", p.UpdateID, h.fake.Update(p.UpdateID))
	}
	wantSP := models.SuccessfulPayment{
		Currency: "XTR", TotalAmount: 250, InvoicePayload: "sale:ESB-000001",
		TelegramPaymentChargeID: p.TelegramPaymentChargeID, ProviderPaymentChargeID: p.ProviderPaymentChargeID,
	}
	if diff := cmp.Diff(wantSP, *m.SuccessfulPayment); diff != "" {
		t.Errorf("successful_payment (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(p.TelegramPaymentChargeID, "stx") || p.ProviderPaymentChargeID == "" {
		t.Errorf("charge IDs %q %q", p.TelegramPaymentChargeID, p.ProviderPaymentChargeID)
	}
	if m.From == nil || m.From.ID != buyer || m.Chat.ID != buyer || m.ID != p.MessageID || p.InvoiceMessageID != inv.ID {
		t.Errorf("payment message %+v, payment %+v", m, p)
	}
	if diff := cmp.Diff([]telegramtest.PreCheckoutAnswer{{
		PreCheckoutQueryID: queryID, OK: true, ChatID: buyer, UserID: buyer, InvoiceMessageID: inv.ID,
		InvoicePayload: "sale:ESB-000001", TotalAmount: 250,
	}}, h.fake.PreCheckoutAnswers()); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if _, _, err := h.fake.Pay(buyer, buyer, inv.ID); err == nil || !strings.Contains(err.Error(), "already paid") {
		t.Errorf("Pay of a paid invoice: got %v", err)
	}
	if want := "#1 bot: [invoice 250 XTR] France 5 GB · 30 days: eSIM for France, 5 GB for 30 days\n#2 user 31: [paid 250 XTR]\n"; h.fake.Transcript(buyer) != want {
		t.Errorf("got transcript\n%s\nwant\n%s", h.fake.Transcript(buyer), want)
	}

	// Telegram delivers it again: same message, same charge, new update.
	again, err := h.fake.ReplayPayment(p.TelegramPaymentChargeID)
	if err != nil {
		t.Fatal(err)
	}
	if again == p.UpdateID {
		t.Errorf("replay reused update_id %d", again)
	}
	if m2 := decoded(t, h.fake, again).Message; m2 == nil || m2.ID != m.ID || m2.SuccessfulPayment == nil || *m2.SuccessfulPayment != *m.SuccessfulPayment {
		t.Errorf("replayed message %+v, want %+v", m2, m)
	}
	if _, err := h.fake.ReplayPayment("stxNOPE"); err == nil {
		t.Error("ReplayPayment of an unknown charge succeeded")
	}

	// A second invoice, a second payment: another charge ID.
	inv2 := sendInvoice(t, h)
	if err := answer(t, h, pay(t, h.fake, inv2.ID), true, ""); err != nil {
		t.Fatal(err)
	}
	if pays := h.fake.Payments(); len(pays) != 2 || pays[1].TelegramPaymentChargeID == pays[0].TelegramPaymentChargeID || pays[1].ProviderPaymentChargeID == pays[0].ProviderPaymentChargeID {
		t.Errorf("payments %+v: want two with distinct charge IDs", pays)
	}
}

func TestPayErrors(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	inv := sendInvoice(t, h)
	text, err := h.bot.SendMessage(testContext(t), &bot.SendMessageParams{ChatID: buyer, Text: "not an invoice"})
	if err != nil {
		t.Fatal(err)
	}
	h.fake.SendText(buyer, buyer, "hello")
	userMsgID := h.fake.Messages(buyer)[2].ID
	for _, tc := range []struct {
		name      string
		chatID    int64
		messageID int
		want      string
	}{
		{"ErrNoChat", 404, inv.ID, "no such chat"},
		{"ErrNoMessage", buyer, 99, "no such invoice"},
		{"ErrNotAnInvoice", buyer, text.ID, "no such invoice"},
		{"ErrUserMessage", buyer, userMsgID, "no such invoice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := h.fake.Pay(tc.chatID, buyer, tc.messageID); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if n := len(h.fake.Pending()); n != 1 { // the user's text only
		t.Errorf("got %d pending updates, want 1", n)
	}
}

// ans is an answerPreCheckoutQuery call.
type ans struct {
	ok  bool
	msg string
}

func TestAnswerPreCheckoutQuery(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		// answers are made in order; the last error is wanted.
		answers  []ans
		queryID  string // "" for the query of the Pay
		wantErr  string
		wantOKs  []bool // the accepted answers' ok
		wantPaid bool
		payAgain bool // whether the invoice can be paid again after
	}{
		{name: "OK", answers: []ans{{true, ""}}, wantOKs: []bool{true}, wantPaid: true},
		{name: "Refused", answers: []ans{{false, "Sold out, sorry"}}, wantOKs: []bool{false}, payAgain: true},
		{name: "ErrRefusedWithoutMessage", answers: []ans{{false, " "}}, wantErr: "ERROR_MESSAGE_EMPTY"},
		{name: "RefusedWithoutMessageThenOK", answers: []ans{{false, ""}, {true, ""}}, wantOKs: []bool{true}, wantPaid: true},
		{name: "ErrLate", timeout: time.Nanosecond, answers: []ans{{true, ""}}, wantErr: "query is too old and response timeout expired or query ID is invalid", payAgain: true},
		{name: "ErrAnsweredTwice", answers: []ans{{false, "no"}, {true, ""}}, wantErr: "QUERY_ID_INVALID", wantOKs: []bool{false}, payAgain: true},
		{name: "ErrUnknownQuery", queryID: "12345", answers: []ans{{true, ""}}, wantErr: "QUERY_ID_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.SetUser(buyer, "Ann", "", "", "en")
			h.fake.PreCheckoutTimeout = tc.timeout
			inv := sendInvoice(t, h)
			queryID := pay(t, h.fake, inv.ID)
			if tc.queryID != "" {
				queryID = tc.queryID
			}
			var err error
			for _, a := range tc.answers {
				err = answer(t, h, queryID, a.ok, a.msg)
			}
			if tc.wantErr != "" {
				wantBadRequest(t, err, "Bad Request: "+tc.wantErr)
			} else if err != nil {
				t.Fatal(err)
			}
			var oks []bool
			for _, a := range h.fake.PreCheckoutAnswers() {
				oks = append(oks, a.OK)
				if !a.OK && a.ErrorMessage == "" {
					t.Errorf("refusal %+v without its error message", a)
				}
			}
			if diff := cmp.Diff(tc.wantOKs, oks); diff != "" {
				t.Errorf("accepted answers (-want +got):\n%s", diff)
			}
			if got := len(h.fake.Payments()); got != map[bool]int{false: 0, true: 1}[tc.wantPaid] {
				t.Errorf("got %d payments, want paid %v", got, tc.wantPaid)
			}
			if tc.queryID != "" {
				return
			}
			_, _, err = h.fake.Pay(buyer, buyer, inv.ID)
			if got := err == nil; got != tc.payAgain {
				t.Errorf("Pay again: got error %v, want it possible: %v", err, tc.payAgain)
			}
		})
	}
}

// TestPaymentPolling runs a payment end to end with the library's long
// polling: the handler answers the query, and the payment reaches it.
func TestPaymentPolling(t *testing.T) {
	h := newHarness(t, bot.WithAllowedUpdates(bot.AllowedUpdates{models.AllowedUpdateMessage, models.AllowedUpdatePreCheckoutQuery}))
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	h.bot.RegisterHandlerMatchFunc(func(u *models.Update) bool { return u.PreCheckoutQuery != nil }, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		if _, err := b.AnswerPreCheckoutQuery(ctx, &bot.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: u.PreCheckoutQuery.ID, OK: true}); err != nil {
			t.Errorf("answer: %v", err)
		}
	})
	h.poll(t)
	inv := sendInvoice(t, h)
	pay(t, h.fake, inv.ID)
	u := h.next(t)
	if u.Message == nil || u.Message.SuccessfulPayment == nil || u.Message.SuccessfulPayment.TotalAmount != 250 {
		t.Fatalf("got update %+v, want the payment", u)
	}
	charge := u.Message.SuccessfulPayment.TelegramPaymentChargeID
	if _, err := h.fake.ReplayPayment(charge); err != nil {
		t.Fatal(err)
	}
	if u := h.next(t); u.Message == nil || u.Message.SuccessfulPayment == nil || u.Message.SuccessfulPayment.TelegramPaymentChargeID != charge {
		t.Fatalf("got update %+v, want the same payment again", u)
	}
}

func TestRefundStarPayment(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	inv := sendInvoice(t, h)
	if err := answer(t, h, pay(t, h.fake, inv.ID), true, ""); err != nil {
		t.Fatal(err)
	}
	charge := h.fake.Payments()[0].TelegramPaymentChargeID
	refund := func(userID int64, charge string) error {
		_, err := h.bot.RefundStarPayment(testContext(t), &bot.RefundStarPaymentParams{UserID: userID, TelegramPaymentChargeID: charge})
		return err
	}
	for _, tc := range []struct {
		name   string
		fail   int // injected 500s before the call
		userID int64
		charge string
		want   string // the refusal, "" for OK
	}{
		{"ErrUnknownCharge", 0, buyer, "stxNOPE", "CHARGE_NOT_FOUND"},
		{"ErrOtherUser", 0, buyer + 1, charge, "CHARGE_NOT_FOUND"},
		{"ErrNoUser", 0, 0, charge, "USER_ID_INVALID"},
		{"ErrNoCharge", 0, buyer, "", "CHARGE_ID_EMPTY"},
		{"ErrInjected", 1, buyer, charge, "500"},
		{"OK", 0, buyer, charge, ""},
		{"ErrTwice", 0, buyer, charge, "CHARGE_ALREADY_REFUNDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fail > 0 {
				h.fake.FailNext("refundStarPayment", tc.fail, http.StatusInternalServerError, 0)
			}
			err := refund(tc.userID, tc.charge)
			switch {
			case tc.want == "":
				if err != nil {
					t.Fatal(err)
				}
			case tc.fail > 0:
				if err == nil || errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want the injected %s", err, tc.want)
				}
			default:
				wantBadRequest(t, err, "Bad Request: "+tc.want)
			}
		})
	}
	want := []telegramtest.Refund{{UserID: buyer, TelegramPaymentChargeID: charge, TotalAmount: 250, InvoicePayload: "sale:ESB-000001"}}
	if diff := cmp.Diff(want, h.fake.Refunds()); diff != "" {
		t.Errorf("refunds (-want +got):\n%s", diff)
	}
	if got := h.fake.Calls("refundStarPayment"); got != 7 {
		t.Errorf("got %d refundStarPayment calls, want 7", got)
	}
}

// TestPaymentFaults checks that FailNext reaches the payment methods and
// that a failed call changes nothing.
func TestPaymentFaults(t *testing.T) {
	h := newHarness(t)
	h.fake.SetUser(buyer, "Ann", "", "", "en")
	h.fake.FailNext("sendInvoice", 1, http.StatusTooManyRequests, 2)
	var tooMany *bot.TooManyRequestsError
	if _, err := h.bot.SendInvoice(testContext(t), invoiceParams()); !errors.As(err, &tooMany) || tooMany.RetryAfter != 2 {
		t.Fatalf("got %v, want 429 retry after 2", err)
	}
	if n := len(h.fake.Messages(buyer)); n != 0 {
		t.Fatalf("got %d messages after a failed sendInvoice", n)
	}
	inv := sendInvoice(t, h)
	queryID := pay(t, h.fake, inv.ID)
	h.fake.FailNext("answerPreCheckoutQuery", 1, http.StatusBadGateway, 0)
	if err := answer(t, h, queryID, true, ""); err == nil {
		t.Fatal("answer with an injected 502 succeeded")
	}
	if len(h.fake.Payments()) != 0 || len(h.fake.PreCheckoutAnswers()) != 0 {
		t.Fatal("a failed answer was recorded")
	}
	if err := answer(t, h, queryID, true, ""); err != nil {
		t.Fatalf("answer after the failure: %v", err)
	}
	if len(h.fake.Payments()) != 1 {
		t.Errorf("got %d payments, want 1", len(h.fake.Payments()))
	}
}
