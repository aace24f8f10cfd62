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
