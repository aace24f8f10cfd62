package flows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/esimbot/esimbot/locales"
)

// Sending a support thread's messages on to their other side, and again
// after a failure or a restart; a customer who blocked the bot gets them
// when they write again.

// flushThread sends on what of a thread has not reached its side: the
// customer's messages to the staff chat, the staff's answers and the
// closing notice to the customer. One flush per thread runs at a time.
func (e *Engine) flushThread(ctx context.Context, id uint64) error {
	return e.flush(ctx, id, true)
}

// flush is flushThread; when the customer is not to be tried (reach is
// false: they blocked the bot), only their own messages go on, to the
// staff, up to the first answer that waits for them.
func (e *Engine) flush(ctx context.Context, id uint64, reach bool) error {
	unlock, err := e.threads.lock(ctx, strconv.FormatUint(id, 10))
	if err != nil {
		return err
	}
	defer unlock()
	th, err := e.store.UpdateThread(ctx, id, func(*Thread) error { return nil })
	if err != nil {
		return err
	}
	for i, m := range th.Messages {
		if m.Done {
			continue
		}
		if m.Staff && !reach {
			return nil // for the customer's next event (flushReturned)
		}
		if e.cfg.Now().Before(m.NextTry) {
			continue // refused a moment ago: the messages after it go on
		}
		if err := e.sendOn(ctx, th, i); err != nil {
			if m.Staff && errors.Is(err, ErrBlocked) {
				return e.customerBlocked(ctx, th, err)
			}
			if _, rerr := e.sendRefused(ctx, th, i, err); rerr != nil {
				return rerr // not a refusal: the next pass tries again, in order
			}
		}
	}
	if !reach {
		return nil // the closing notice waits too
	}
	return e.flushed(ctx, th)
}

// flushed ends a flush that reached the customer: nothing waits for them
// any more, and a closed thread's notice goes.
func (e *Engine) flushed(ctx context.Context, th Thread) (err error) {
	id := th.ID
	if th.BlockedTold {
		if th, err = e.store.UpdateThread(ctx, id, func(t *Thread) error { t.BlockedTold = false; return nil }); err != nil {
			return err
		}
	}
	if th.Open() || th.CloseTold {
		return nil
	}
	loc := e.cat.For(th.Lang)
	if err := e.msg.Send(ctx, th.Chat, Message{Text: loc.T("support_closed_user"), Buttons: [][]Button{
		{supportButton(loc.T("btn_support")), globalButton(loc.T("btn_menu"), actMenu)}}}); err != nil {
		if errors.Is(err, ErrBlocked) || !refused(err) {
			return e.customerBlocked(ctx, th, err)
		}
		// Refused otherwise (a 4xx): a notice, not an answer, so it is not
		// tried again at every pass; the staff closed the thread.
		e.log.WarnContext(ctx, "closing notice refused; given up", "thread", id, "err", err)
	}
	_, err = e.store.UpdateThread(ctx, id, func(t *Thread) error { t.CloseTold = true; return nil })
	return err
}

// customerBlocked handles err, a failure to send on a message of thread
// th: when the customer blocked the bot, what is left waits for them to
// write again (retrySupport skips the thread, their next event flushes
// it), and the staff hear of it once; any other error is returned.
func (e *Engine) customerBlocked(ctx context.Context, th Thread, err error) error {
	if !errors.Is(err, ErrBlocked) {
		return err
	}
	e.log.InfoContext(ctx, "support thread waits: the customer blocked the bot", "thread", th.ID, "user", th.User)
	e.markBlocked(ctx, th.User)
	if th.BlockedTold {
		return nil
	}
	loc := e.cat.For(e.cfg.StaffLang)
	if err := e.postStaff(ctx, loc.T("staff_customer_blocked", "N", loc.Number(int64(th.ID))), nil); err != nil {
		return err
	}
	_, err = e.store.UpdateThread(ctx, th.ID, func(t *Thread) error { t.BlockedTold = true; return nil })
	return err
}

// maxSupportTries is how many times Telegram may refuse a support message
// (a 4xx: the customer deleted the media to copy, the bot was removed from
// the staff chat) before it is given up: 8 tries over about 45 minutes
// (supportBackoff), time for an operator to put the bot back in the group.
const maxSupportTries = 8

// supportBackoff is the wait after the nth refusal of a support message:
// 30 s, doubling, at most 15 minutes.
func supportBackoff(n int) time.Duration {
	return min(30*time.Second<<min(max(n-1, 0), 10), 15*time.Minute)
}

// sendRefused handles err, a failure to send on message i of thread th.
// Anything but a refusal is returned, for the next pass. A refusal is
// tried again later, with backoff (nil is then returned; the messages
// after it go on meanwhile), and given up after maxSupportTries (gaveUp):
// the staff are told.
func (e *Engine) sendRefused(ctx context.Context, th Thread, i int, err error) (gaveUp bool, _ error) {
	if !refused(err) {
		return false, err
	}
	m := th.Messages[i]
	gaveUp = m.Tries+1 >= maxSupportTries
	now := e.cfg.Now()
	if _, uerr := e.sent(ctx, th.ID, i, func(s *SupportMessage) {
		s.Tries++
		s.NextTry = now.Add(supportBackoff(s.Tries))
		if gaveUp {
			s.Done, s.Refused, s.NextTry = true, true, time.Time{}
		}
	}); uerr != nil {
		return false, uerr
	}
	if !gaveUp {
		e.log.WarnContext(ctx, "support message refused; trying again later", "thread", th.ID, "message", i, "tries", m.Tries+1, "err", err)
		return false, nil
	}
	e.log.ErrorContext(ctx, "support message given up: Telegram refused it", "thread", th.ID, "message", i, "tries", m.Tries+1, "err", err)
	loc := e.cat.For(e.cfg.StaffLang)
	key := "staff_not_passed"
	if m.Staff {
		key = "staff_answer_not_passed"
	}
	if perr := e.postStaff(ctx, loc.T(key, "N", loc.Number(int64(th.ID))), nil); perr != nil {
		e.log.WarnContext(ctx, "tell the staff a support message was given up", "thread", th.ID, "err", perr)
	}
	return true, nil
}

// flushReturned sends on the support threads that waited for the turn's
// user, who had blocked the bot and writes again.
func (t *turn) flushReturned(ctx context.Context) {
	if t.e.cfg.SupportChat == 0 {
		return
	}
	threads, err := t.e.store.PendingThreads(ctx)
	if err != nil {
		t.e.log.WarnContext(ctx, "support threads of a user", "user", t.user.ID, "err", err)
		return
	}
	for _, th := range threads {
		if th.User != t.user.ID {
			continue
		}
		t.onScreen = false
		if err := t.e.flushThread(ctx, th.ID); err != nil {
			t.e.log.WarnContext(ctx, "support thread of a returning user", "thread", th.ID, "err", err)
		}
	}
}

// sendOn sends message i of a thread to its other side and records it
// (with the ID of its post in the staff chat), holding e.posting so that a
// staff reply to the post finds it recorded.
func (e *Engine) sendOn(ctx context.Context, th Thread, i int) error {
	m := th.Messages[i]
	if !m.Staff {
		e.posting.Lock()
		defer e.posting.Unlock()
	}
	if m.Media != 0 {
		return e.copyOn(ctx, th, i)
	}
	post, err := e.sendSupport(ctx, th, m)
	if err != nil {
		return err
	}
	_, err = e.sent(ctx, th.ID, i, func(s *SupportMessage) { s.Done, s.Post = true, cmp.Or(s.Post, post) })
	return err
}

// sent records in message i of a thread what of it was sent (set).
func (e *Engine) sent(ctx context.Context, id uint64, i int, set func(*SupportMessage)) (Thread, error) {
	return e.store.UpdateThread(ctx, id, func(t *Thread) error { set(&t.Messages[i]); return nil })
}

// copyOn sends media message i of a thread to its other side: what goes
// before it (the thread's header in the staff chat, the Support line to
// the customer), then the copy of the message under it, each recorded once
// sent so that a retry sends neither twice.
func (e *Engine) copyOn(ctx context.Context, th Thread, i int) error {
	m := th.Messages[i]
	if !m.Introduced {
		post, err := e.introduce(ctx, th, m)
		if err != nil {
			return err
		}
		th, err = e.sent(ctx, th.ID, i, func(s *SupportMessage) { s.Introduced, s.Post = true, cmp.Or(s.Post, post) })
		if err != nil {
			return err
		}
		m = th.Messages[i]
	}
	to, c := e.cfg.SupportChat, Copy{From: th.Chat, Message: m.Media, ReplyTo: m.Post}
	if m.Staff {
		to, c = th.Chat, Copy{From: e.cfg.SupportChat, Message: m.Media, Buttons: replyRows(e.cat.For(th.Lang))}
	}
	copied, err := e.msg.(Copier).Copy(ctx, to, c)
	if err != nil {
		return err
	}
	_, err = e.sent(ctx, th.ID, i, func(s *SupportMessage) {
		s.Done = true
		if !s.Staff {
			s.Copy = copied
		}
	})
	return err
}

// introduce sends what goes before the copy of a media message: the
// Support line to the customer, or the thread's header to the staff chat
// (and returns its ID).
func (e *Engine) introduce(ctx context.Context, th Thread, m SupportMessage) (int64, error) {
	if m.Staff {
		return 0, e.msg.Send(ctx, th.Chat, Message{Text: e.cat.For(th.Lang).T("support_reply_media")})
	}
	return e.postHeader(ctx, th, e.cat.For(e.cfg.StaffLang).T("staff_media"))
}

// replyRows are the buttons under a staff answer to the customer.
func replyRows(loc *locales.Localizer) [][]Button {
	return [][]Button{{supportButton(loc.T("btn_support_reply")), globalButton(loc.T("btn_menu"), actMenu)}}
}

// sendSupport sends one text message of a thread to its other side, and
// returns the ID of the customer's message as posted in the staff chat.
func (e *Engine) sendSupport(ctx context.Context, th Thread, m SupportMessage) (int64, error) {
	if m.Staff {
		loc := e.cat.For(th.Lang)
		return 0, e.msg.Send(ctx, th.Chat, Message{Text: loc.T("support_reply", "Text", html.EscapeString(m.Text)), Buttons: replyRows(loc)})
	}
	return e.postHeader(ctx, th, html.EscapeString(m.Text))
}

// postHeader posts the thread's header (who, language, recent orders) with
// body under it to the staff chat, and returns the post's ID.
func (e *Engine) postHeader(ctx context.Context, th Thread, body string) (int64, error) {
	loc := e.cat.For(e.cfg.StaffLang)
	sales, err := e.store.SalesByUser(ctx, th.User)
	if err != nil {
		return 0, err
	}
	var lines []string
	for _, s := range sales[:min(len(sales), 3)] {
		lines = append(lines, loc.T("staff_order", "Ref", s.Ref, "Bundle", html.EscapeString(s.BundleName), "State", stateLabel(loc, s.State)))
	}
	if len(lines) == 0 {
		lines = append(lines, loc.T("staff_no_orders"))
	}
	who := html.EscapeString(th.Name)
	if th.Username != "" {
		who += " @" + html.EscapeString(th.Username)
	}
	text := loc.T("staff_header", "N", loc.Number(int64(th.ID)), "Who", who, "User", strconv.FormatInt(int64(th.User), 10),
		"Lang", th.Lang) + "\n" + strings.Join(lines, "\n") + "\n\n" + body
	return e.msg.(Poster).Post(ctx, e.cfg.SupportChat, Message{Text: text, Buttons: [][]Button{
		{{Text: loc.T("btn_staff_close"), Data: staffClose + strconv.FormatUint(th.ID, 10)}}}})
}

// retrySupport sends on what of every thread has not reached its side (a
// restart, a failed send). Run calls it.
func (e *Engine) retrySupport(ctx context.Context) error {
	if e.cfg.SupportChat == 0 {
		return nil
	}
	threads, err := e.store.PendingThreads(ctx)
	if err != nil {
		return fmt.Errorf("support threads: %w", err)
	}
	var errs []error
	for _, th := range threads {
		if ctx.Err() != nil {
			break
		}
		// What waits for a customer who blocked the bot goes at their next
		// event (flushReturned); their own messages go to the staff now.
		u, err := e.store.User(ctx, th.User)
		if err := e.flush(ctx, th.ID, err != nil || !u.Blocked); err != nil {
			errs = append(errs, fmt.Errorf("thread %d: %w", th.ID, err))
		}
	}
	return errors.Join(errs...)
}
