// Package bot puts the conversation engine (package flows) on Telegram,
// with github.com/go-telegram/bot (imported as tg).
//
// It owns everything that is Telegram's business: turning updates into
// flows events and messages into Bot API calls; the order of updates (one
// at a time per chat, chats in parallel on a bounded number of workers,
// panics recovered); the durable inbox (every update is stored before it is
// handled, and unhandled ones are handled first at start); polling or
// webhook; and Telegram's limits: 64-byte callback data (flows keeps to
// it), 4096-character messages (split on line breaks), 1024-character
// captions, about 30 calls a second overall and one new message a second
// per chat (after a burst of three; the edit answering a tap, the tap's
// answer and chat actions keep only to the overall rate, so browsing screens
// is not slowed), 429 retry_after, and 403 from users who blocked the bot.
// Every try of a Bot API call but long polling gets Config.SendTimeout
// (default 30 s) for its answer.
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
// is sent and Send's error matches ErrPhotoNotSent with errors.Is; flows,
// which cannot import bot, recognises it by errors.As with an
// interface{ PhotoNotSent() bool }. The user has none of the message, except
// that after a timeout or a 5xx Telegram may have delivered the photo all the
// same, so sending it again may show it twice. The caller may send the text
// on its own and the photo later. An error that does not match after a photo
// means the photo arrived and the text after it did not.
//
// The window the library leaves in polling mode: go-telegram/bot confirms
// the updates of one getUpdates answer when it asks for the next ones. The
// bot runs the library with one worker and an unbuffered update channel,
// and its handler writes each update to the inbox before returning, so the
// library asks for more only once every update of the answer but the last
// has reached the inbox; the last one is confirmed while its inbox write
// (about a millisecond) is under way. A crash in that millisecond loses that
// one update. In webhook mode nothing is lost: Telegram gets its 200 only
// after the inbox write.
package bot
