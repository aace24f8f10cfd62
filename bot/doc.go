// Package bot puts the conversation engine (package flows) on Telegram,
// with github.com/go-telegram/bot (imported as tg).
//
// It owns everything that is Telegram's business: turning updates into
// flows events and messages into Bot API calls; the order of updates (one
// at a time per chat, chats in parallel on a bounded number of workers,
// panics recovered); the durable inbox (every update is stored before it is
// marked handled, and unhandled ones are handled first at start); polling or
// webhook; and Telegram's limits: 64-byte callback data (flows keeps to
// it), 4096-character messages (split on line breaks), 1024-character
// captions, 429 retry_after, and 403 from users who blocked the bot.
// Every try of a Bot API call but long polling gets Config.SendTimeout
// (default 30 s) for its answer.
//
// Pacing. Replies to a user's own action go out at once: the answer of a
// tap, the edit of the screen tapped, and whatever is sent to a chat while
// its update is handled (a purchase's delivery included: the user is
// waiting for it). The messages the bot starts itself, outside any update
// of their chat (deliveries and notices of the reconciler, broadcasts),
// keep to a pre-emptive budget: Config.GlobalRate calls a second overall
// (30) and Config.ChatRate per chat (1, after a burst of 3); a negative
// rate turns a budget off. A 429 holds back its chat and every other call
// for its retry_after. A chat action ("typing…") is sent only when the
// reply takes longer than Config.ActionDelay (1 s), and dropped when a
// reply goes out first or the update is handled.
//
// What flows says, bot draws. A message that replaces the screen whose
// button was pressed (flows.Message.Replace, the Origin bot put on the
// button's event) edits that message when Telegram allows (a text message,
// no reply keyboard to attach, within 4096 characters), and is sent new
// otherwise. A photo is the QR code of flows.Photo.QR, drawn here (PNG,
// 512 px) when it is uploaded. A contact request opens a share-number
// reply keyboard, on a short message of its own; bot remembers it per
// chat, in memory, and takes it away with the first message of a
// conversation that no longer awaits a contact (flows.InputText): on that
// message when it is plain text, else on a short message (the request's
// Withdraw text) before it.
//
// A failed photo. A message with a photo is one sendPhoto carrying the
// caption and the buttons or, when the caption is longer than 1024
// characters, the photo alone and then the text with the buttons: either
// way the buttons go on one message. When the photo fails (a 5xx, a 400
// other than a refused file_id, which is uploaded again, a 403, 429s beyond
// MaxRetries, or no answer within SendTimeout), nothing more of the message
// is sent and Send's error matches ErrPhotoNotSent with errors.Is (any
// Send's error also matches flows.ErrRefused when Telegram answered with a
// 4xx, and flows.ErrBlocked on a 403: the chat did not get it); flows,
// which cannot import bot, recognises it by errors.As with an
// interface{ PhotoNotSent() bool }. The user has none of the message, except
// that after a timeout or a 5xx Telegram may have delivered the photo all the
// same, so sending it again may show it twice. The caller may send the text
// on its own and the photo later. An error that does not match after a photo
// means the photo arrived and the text after it did not.
//
// Polling. The bot long-polls getUpdates itself (the library only sends):
// each answer, up to 100 updates, is written to the inbox in one
// transaction, and its offset is confirmed to Telegram (by the next
// getUpdates) only once that write is on disk, so a crash loses nothing;
// an answer that cannot be stored is asked for again. Its new updates
// (UnseenUpdates) are queued while it is written, and each is marked done
// only once the write is through, so a reply does not wait for the disk
// and the inbox never keeps an update marked done. In webhook mode
// Telegram gets its 200 only after the inbox write; requests that arrive
// together share a commit. The webhook is served before Run starts, so a
// restarted bot may be sent updates while it reads what the inbox kept:
// those wait and are handled after the kept ones (of their chat), and an
// update found in both is handled once. All calls share one HTTP client whose
// transport keeps an idle connection per call that may run at once.
package bot
