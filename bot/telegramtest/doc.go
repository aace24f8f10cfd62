// Package telegramtest is a fake Telegram Bot API server for tests: an
// httptest.Server on loopback that plays the Bot API closely enough for
// the real github.com/go-telegram/bot library, so tests never reach
// Telegram.
//
// Point the library at it:
//
//	fake := telegramtest.NewServer(t, "123456:TEST")
//	b, err := bot.New("123456:TEST",
//		bot.WithServerURL(fake.URL()),
//		bot.WithNotAsyncHandlers(),
//		bot.WithDefaultHandler(handle))
//
// The incoming side plays the users: SendText, SendContact, SendGroupText,
// SendReply, SendPhoto, SendDocument, PressButton and AddUpdate queue
// updates that the bot receives by getUpdates long polling (timeout,
// offset and allowed_updates as Telegram honours them) or that PostWebhook
// delivers to the webhook registered with setWebhook. PushWebhook delivers
// them as Telegram does, in order, each posted again until it gets a 2xx
// (WebhookDeliveries lists the tries, OnWebhookAnswer hears of each the
// moment its status arrives); WebhookVia sends deliveries to a loopback
// base with the registered URL's path, as Telegram's requests reach a bot
// behind a TLS reverse proxy.
//
// The outgoing side keeps each chat's messages like Telegram: sent,
// edited, deleted, with their keyboards and photos (Messages, WaitFor,
// Transcript), and records callback answers, chat actions, command menus,
// the bot's descriptions (Description, ShortDescription) and the webhook.
// Requests are validated like Telegram does, with its error descriptions:
// HTML parse mode, the 4096 and 1024 length limits (after parsing), the 512
// and 120 limits of the description and short description, inline
// keyboards (exactly one action per button; callback data of 1 to 64
// bytes, button URLs, copy_text of 1 to 256 characters), edits that change
// nothing, unknown or answered callback queries, copyMessage of a message
// the source chat lacks ("message to copy not found").
// FailNext injects 429, 403 and 5xx answers, StallNext no answer at all,
// StallAfterNext no answer to a call it carried out.
//
// Payments are in Telegram Stars, for digital goods: sendInvoice takes
// currency XTR, no provider token, one price of a positive whole number of
// Stars, a title of 1 to 32 characters, a description of 1 to 255, a
// payload of 1 to 128 bytes and, optionally, an inline keyboard whose first
// button is a pay button; the invoice is a message of the chat
// (Message.Invoice). Pay plays the buyer's tap on Pay: a pre_checkout_query
// that the bot must answer within PreCheckoutTimeout (10 s); an ok answer
// in time is followed by a message with successful_payment and a unique
// telegram_payment_charge_id (Payments, ReplayPayment to deliver it
// twice); ok=false needs an error_message; late, unknown and repeated
// answers are refused (PreCheckoutAnswers has the accepted ones).
// refundStarPayment refunds a known charge of that user once (Refunds).
//
// Methods served: getMe, getUpdates, setWebhook, deleteWebhook,
// getWebhookInfo, sendMessage, sendPhoto, sendDocument, copyMessage,
// editMessageText, editMessageCaption, editMessageReplyMarkup,
// deleteMessage, answerCallbackQuery, sendChatAction, setMyCommands,
// deleteMyCommands, getMyCommands, setMyDescription, getMyDescription,
// setMyShortDescription, getMyShortDescription, sendInvoice,
// answerPreCheckoutQuery, refundStarPayment. Any other method answers 404 Not Found, like
// Telegram.
//
// Known differences from Telegram: MarkdownV2 and Markdown texts are
// accepted and measured as sent, not parsed; a bare '&' in HTML is refused
// where Telegram keeps it; lengths are counted in UTF-16 code units; http
// webhook URLs are accepted; there is no flood control unless injected with
// FailNext; getMyDescription and getMyShortDescription answer only a text
// set for that very language_code; the descriptions' "too long" error texts
// are the fake's own, and so are the payment refusals' (only
// STARS_INVOICE_INVALID and CHARGE_ALREADY_REFUNDED are checked against
// reports of Telegram's own answers); Stars amounts have no upper
// limit; an invoice is paid at most once, by one pending query at a time;
// a refund sends no refunded_payment message.
package telegramtest
