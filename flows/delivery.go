package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// deliver sends the eSIM of an assigned sale (a top-up: the notice) and
// marks it delivered. Without activation data yet, it waits (interactive)
// or schedules another attempt. The installation text (ICCID, SM-DP+
// address, activation code, one-tap links) and the QR code picture are
// sent and recorded apart: a picture Telegram refuses does not hold the
// text back, and neither is sent twice.
func (e *Engine) deliver(ctx context.Context, s Sale, interactive bool) error {
	if s.Kind == KindTopup {
		return e.deliverTopup(ctx, s)
	}
	s, ok, marked, err := e.withActivation(ctx, s, interactive)
	if err != nil || !ok {
		return err
	}
	if s, ok, marked, err = e.deliverText(ctx, s, marked); err != nil || !ok {
		return err
	}
	if s, ok, err = e.deliverPhoto(ctx, s, marked); err != nil || !ok {
		return err
	}
	s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.Attempts, s.NextAttempt = 0, time.Time{}
		return s.MoveTo(SaleDelivered, e.cfg.Now())
	})
	if err == nil {
		e.afterSale(ctx, s)
	}
	return err
}

// deliverTopup sends the notice of a top-up and marks it delivered.
func (e *Engine) deliverTopup(ctx context.Context, s Sale) error {
	loc := e.cat.For(s.Lang)
	e.usage.drop(s.ICCID) // the profile has a new bundle
	m := Message{Text: loc.T(agentKey("topup_done", s.SoldBy), "Bundle", s.BundleName, "ICCID", s.ICCID), Buttons: [][]Button{
		{globalButton(loc.T("btn_usage"), actUsage, s.ICCID), globalButton(loc.T("btn_menu"), actMenu)},
	}}
	s, again, err := e.sending(ctx, s, partText)
	if err != nil {
		return err
	}
	if again {
		m.Text = loc.T("topup_again") + "\n\n" + m.Text
	}
	if err := e.msg.Send(ctx, s.Chat, m); err != nil {
		return e.retryDelivery(ctx, s, partText, err)
	}
	s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.TextSent, s.Attempts, s.NextAttempt = true, 0, time.Time{}
		return s.MoveTo(SaleDelivered, e.cfg.Now())
	})
	if err == nil {
		e.afterSale(ctx, s)
	}
	return err
}

// withActivation returns the sale with its activation data (LPA), fetched
// from the order if it has none yet; ok is false when there is none to
// deliver yet (another attempt is scheduled) or the order failed. The
// write that records fetched data also marks the installation text, sent
// next, as being sent (saving a write): textMarked reports that it did.
func (e *Engine) withActivation(ctx context.Context, s Sale, interactive bool) (_ Sale, ok, textMarked bool, _ error) {
	if s.LPA != "" {
		return s, true, false, nil
	}
	o, lpa, err := e.activation(ctx, s.Ref, interactive)
	if errors.Is(err, errOrderFailed) {
		return s, false, false, e.fail(ctx, s, "sale_failed_after_assign", err)
	}
	if err != nil {
		first := s.Attempts == 0
		if uerr := e.retryDelivery(ctx, s, partActivation, err); uerr != nil {
			return s, false, false, uerr
		}
		if first {
			e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T(agentKey("activation_pending", s.SoldBy))})
		}
		return s, false, false, nil
	}
	s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.LPA = lpa
		// The purchase answer may have lacked them; the order has them.
		if s.ICCID == "" {
			s.ICCID = o.ICCID.String()
		}
		if s.OrderID == "" {
			s.OrderID = o.ID.String()
		}
		textMarked = !s.TextSent && !s.TextSending
		s.TextSending = s.TextSending || textMarked
		return nil
	})
	return s, err == nil, textMarked && err == nil, err
}

// deliverText sends the installation text, once; ok is false when it
// failed (another attempt is scheduled). marked is set when the caller has
// just marked the text as being sent, so it is not being sent again. The
// write that records it sent also marks the QR code picture, sent next, as
// being sent (saving a write): photoMarked reports that it did.
func (e *Engine) deliverText(ctx context.Context, s Sale, marked bool) (_ Sale, ok, photoMarked bool, _ error) {
	if s.TextSent {
		return s, true, false, nil
	}
	again := false
	if !marked {
		var err error
		if s, again, err = e.sending(ctx, s, partText); err != nil {
			return s, false, false, err
		}
	}
	m := e.installMessage(s)
	if again {
		m.Text = e.cat.For(s.Lang).T("esim_again") + "\n\n" + m.Text
	}
	if err := e.msg.Send(ctx, s.Chat, m); err != nil {
		return s, false, false, e.retryDelivery(ctx, s, partText, err)
	}
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.TextSent = true
		photoMarked = !s.PhotoSent && !s.PhotoSending
		s.PhotoSending = s.PhotoSending || photoMarked
		return nil
	})
	return s, err == nil, photoMarked && err == nil, err
}

// deliverPhoto sends the QR code picture, once; ok is false when it failed
// and is tried again. A picture refused maxPhotoTries times is given up:
// the text has what the user needs. marked is set when the caller has just
// marked the picture as being sent, so it is not being sent again.
func (e *Engine) deliverPhoto(ctx context.Context, s Sale, marked bool) (Sale, bool, error) {
	if s.PhotoSent {
		return s, true, nil
	}
	again := false
	if !marked {
		var err error
		if s, again, err = e.sending(ctx, s, partPhoto); err != nil {
			return s, false, err
		}
	}
	m := e.qrMessage(s)
	if again {
		m.Text = e.cat.For(s.Lang).T("esim_again") + "\n" + m.Text
	}
	e.act(ctx, s.Chat, "upload_photo")
	err := e.msg.Send(ctx, s.Chat, m)
	switch {
	case err == nil:
		s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error { s.PhotoSent = true; return nil })
		return s, err == nil, err
	case s.PhotoTries+1 < maxPhotoTries:
		return s, false, e.retryDelivery(ctx, s, partPhoto, err)
	}
	e.log.ErrorContext(ctx, "QR code picture not delivered; giving up on it (the activation text was delivered)",
		"ref", s.Ref, "tries", s.PhotoTries+1, "err", err)
	return s, true, nil
}

// sending marks a part of a delivery (partText or partPhoto) as being
// sent, durably, before it is sent, and reports whether it was marked
// already: then the chat may have it, and it goes again saying so ("Here
// is your eSIM again"), never looking like a second purchase.
func (e *Engine) sending(ctx context.Context, s Sale, part string) (Sale, bool, error) {
	mark := &s.TextSending
	if part == partPhoto {
		mark = &s.PhotoSending
	}
	if *mark {
		return s, true, nil
	}
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		if part == partPhoto {
			s.PhotoSending = true
		} else {
			s.TextSending = true
		}
		return nil
	})
	return s, false, err
}

// The parts of a delivery, for logs and metrics.
const (
	partActivation = "activation" // waiting for the activation data
	partText       = "text"       // the installation text
	partPhoto      = "photo"      // the QR code picture
)

// maxPhotoTries is how many times the QR code picture is tried before the
// sale counts as delivered by its text alone.
const maxPhotoTries = 8

// retryDelivery records a failed delivery attempt of one part and
// schedules the next soon, with backoff (see deliveryBackoff); the
// reconciler wakes for it. The failure is logged and counted. A user who
// blocked the bot is not tried again: the sale is held for them (hold).
func (e *Engine) retryDelivery(ctx context.Context, s Sale, part string, cause error) error {
	blocked := errors.Is(cause, ErrBlocked)
	s, err := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.Attempts++
		if part == partPhoto {
			s.PhotoTries++
		}
		if refused(cause) { // the chat surely did not get it: the next try is not "again"
			s.TextSending = s.TextSending && part != partText
			s.PhotoSending = s.PhotoSending && part != partPhoto
		}
		s.NextAttempt = e.cfg.Now().Add(deliveryBackoff(s.Attempts))
		if blocked {
			s.Held, s.NextAttempt = true, time.Time{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if blocked {
		e.hold(ctx, s, part, cause)
		return nil
	}
	e.log.WarnContext(ctx, "delivery not done; retrying", "ref", s.Ref, "part", part, "attempt", s.Attempts,
		"next", s.NextAttempt.Format(time.RFC3339), "err", cause)
	if e.cfg.Observer != nil {
		e.cfg.Observer.DeliveryRetried(part)
	}
	e.wakeUp()
	return nil
}

// deliveryBackoff is the wait before delivery attempt n+1: 2 s, 4 s, 8 s,
// … up to 10 minutes.
func deliveryBackoff(n int) time.Duration {
	return min(time.Duration(1<<min(max(n, 1), 20))*time.Second, 10*time.Minute)
}

// installMessage is the installation text of a delivered eSIM: what the
// user needs to install it without the picture.
func (e *Engine) installMessage(s Sale) Message {
	loc := e.cat.For(s.Lang)
	smdp, code, _ := reseller.SplitLPA(s.LPA)
	links := reseller.InstallLinksFor(s.LPA)
	text := loc.T(agentKey("esim_ready", s.SoldBy), "Bundle", s.BundleName, "ICCID", s.ICCID, "SMDP", smdp, "Code", code)
	if e.cfg.Sandbox {
		text = loc.T("sandbox_banner") + "\n\n" + text
	}
	rows := [][]Button{{{Text: loc.T("btn_install_ios"), URL: links.IOS}, {Text: loc.T("btn_install_android"), URL: links.Android}}}
	var copies []Button
	if smdp != "" && len(smdp) <= maxCopyText {
		copies = append(copies, Button{Text: loc.T("btn_copy_smdp"), CopyText: smdp})
	}
	if code != "" && len(code) <= maxCopyText {
		copies = append(copies, Button{Text: loc.T("btn_copy_code"), CopyText: code})
	}
	if len(copies) > 0 {
		rows = append(rows, copies)
	}
	if wa := whatsAppButton(loc, s, links, smdp, code); wa != nil {
		rows = append(rows, []Button{*wa})
	}
	rows = append(rows, []Button{globalButton(loc.T("btn_usage"), actUsage, s.ICCID), globalButton(loc.T("btn_buy_other"), actBuy)},
		[]Button{globalButton(loc.T("btn_help_menu"), actHelp), supportButton(loc.T("btn_support"))})
	return Message{Text: text, Buttons: rows}
}

// qrMessage is the QR code picture of a delivered eSIM.
func (e *Engine) qrMessage(s Sale) Message {
	loc := e.cat.For(s.Lang)
	return Message{
		Text:  loc.T(agentKey("esim_qr_caption", s.SoldBy), "Bundle", s.BundleName, "Tail", tail(s.ICCID)),
		Photo: &Photo{QR: s.LPA, Key: s.Ref, Name: "esim-" + s.ICCID + ".png"},
	}
}

// activation fetches the order's LPA string, polling with backoff for up
// to DeliveryWait when interactive.
func (e *Engine) activation(ctx context.Context, ref string, interactive bool) (reseller.Order, string, error) {
	var waited time.Duration
	wait := 250 * time.Millisecond
	for {
		o, err := e.api.OrderByReference(ctx, ref)
		if err == nil {
			if o.Failed() {
				return o, "", fmt.Errorf("order %s: %w", ref, errOrderFailed)
			}
			var lpa string
			if lpa, err = o.LPA(); err == nil {
				return o, lpa, nil
			}
		}
		if !interactive || waited+wait > e.cfg.DeliveryWait {
			return o, "", err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return o, "", ctx.Err()
		case <-timer.C:
		}
		waited += wait
		wait = min(wait*2, 4*time.Second)
	}
}

// errOrderFailed: the platform reports the order failed.
var errOrderFailed = errors.New("the platform reports the order failed")

// sendESIM sends a delivered eSIM again: the installation text and the
// QR code picture.
func (e *Engine) sendESIM(ctx context.Context, s Sale, chat ChatID) error {
	if err := e.msg.Send(ctx, chat, e.installMessage(s)); err != nil {
		return err
	}
	e.act(ctx, chat, "upload_photo")
	return e.sendQR(ctx, s, chat)
}

// sendQR sends the QR code picture of a sale.
func (e *Engine) sendQR(ctx context.Context, s Sale, chat ChatID) error {
	return e.msg.Send(ctx, chat, e.qrMessage(s))
}

// act shows a chat action if the messenger can.
func (e *Engine) act(ctx context.Context, chat ChatID, action string) {
	if a, ok := e.msg.(Actor); ok {
		_ = a.Act(ctx, chat, action)
	}
}
