package flows

import (
	"context"
	"errors"
	"strings"
)

// EventKind is what a user did.
type EventKind int

// The event kinds.
const (
	// EventCommand is a command such as /start or /usage.
	EventCommand EventKind = iota + 1
	// EventText is free text.
	EventText
	// EventButton is a press on an inline button.
	EventButton
	// EventContact is a shared contact (a phone number).
	EventContact
	// EventStaff is a message or a button press in the support desk's
	// staff chat (Config.SupportChat), not a conversation: Text, Command,
	// Data, MessageID, ReplyTo and Media say what (support.go).
	EventStaff
	// EventMedia is a message the channel can pass on as a copy (a photo,
	// a file, a video, a voice note, an audio, a sticker): Text is its
	// caption, MessageID its ID. The support desk takes it.
	EventMedia
)

// Profile is what the channel knows of the person speaking.
type Profile struct {
	// FirstName and LastName are the display name parts.
	FirstName, LastName string
	// Username is the channel handle, without "@".
	Username string
	// LanguageCode is the channel's language hint (BCP 47), may be empty.
	LanguageCode string
}

// FullName joins the name parts.
func (p Profile) FullName() string {
	return strings.TrimSpace(p.FirstName + " " + p.LastName)
}

// Event is one input from a user, channel-agnostic.
type Event struct {
	// Chat and User say where and who.
	Chat ChatID
	User UserID
	// Kind says which of the fields below is set.
	Kind EventKind
	// Command is the command name without "/" (lower case), Args the rest.
	Command, Args string
	// Text is the typed text.
	Text string
	// Data is the pressed button's data, as it came back from the channel.
	Data string
	// Phone is the shared contact's number.
	Phone string
	// From describes the user.
	From Profile
	// MessageID is the channel's ID of the event's message, and ReplyTo
	// that of the message it replies to (0: none); a private chat's
	// messages have MessageID too, taps none.
	MessageID, ReplyTo int64
	// Media marks a staff event whose message the channel can copy, as
	// EventMedia's; Text is then its caption.
	Media bool
	// Origin is the channel's own name for the message the event came
	// from (for a button, the message it was on), or nil. flows does not
	// look inside it: it puts it on the messages that replace that screen
	// (Message.Replace), and the channel decides whether it can.
	Origin Origin
	// Ack, when set, is called with the outcome once the event's replies
	// are sent and before what it changed is stored: a channel answers a
	// button press then, not after the write to disk. It is not called
	// when the event fails; Handle returns the same outcome either way.
	Ack func(Outcome)
}

// Origin is a channel's opaque reference to one of its messages (see
// Event.Origin and Message.Replace).
type Origin any

// Message is something to show the user. Text is Telegram HTML (see
// package locales); a channel without HTML strips the tags.
type Message struct {
	// Text is the message, or the photo's caption when Photo is set.
	Text string
	// Buttons are inline buttons, by row.
	Buttons [][]Button
	// Replace, when set, is the Origin of the screen this message replaces
	// (navigation by a button); the channel edits that message when it can,
	// and sends a new one otherwise.
	Replace Origin
	// Photo, when set, is sent as a picture with Text as its caption.
	Photo *Photo
	// Document, when set, is sent as a file with Text as its caption (a
	// report's CSV export).
	Document *Document
	// Contact, when set, asks the user to share their phone number: the
	// channel shows a way to (a reply keyboard on Telegram), and keeps it
	// while the conversation awaits a contact (see Awaits).
	Contact *ContactRequest
	// Awaits is what the conversation waits for once this message is
	// shown; the messages about a sale leave it InputUnknown.
	Awaits Input
	// Invoice, when set, makes the message an invoice in Telegram Stars
	// (Text is then not sent).
	Invoice *Invoice
}

// Invoice asks the user to pay a sale in Telegram Stars.
type Invoice struct {
	// Title (at most 32 characters) and Description (at most 255) say
	// what is bought, in the user's language.
	Title, Description string
	// Payload names the sale; it comes back with the payment.
	Payload string
	// Label names the one price; Stars is its amount.
	Label string
	Stars int64
}

// Input is what a conversation waits for, for channels that show a way
// to answer besides typing (Telegram's reply keyboards).
type Input int

// The inputs.
const (
	// InputUnknown: the message says nothing of the conversation (a notice
	// about a sale); what the channel shows stays as it is.
	InputUnknown Input = iota
	// InputText: the conversation waits for text or a button; a way to
	// share a contact shown before is taken away.
	InputText
	// InputContact: the conversation waits for a phone number; a way to
	// share it shown before stays.
	InputContact
)

// Button is an inline button: it sends Data back, opens URL, or copies
// CopyText.
type Button struct {
	// Text is the label.
	Text string
	// Data comes back in an EventButton (at most 64 bytes).
	Data string
	// URL opens a link instead.
	URL string
	// CopyText, when set, makes a button that copies this text to the
	// clipboard when pressed (Telegram's copy_text); at most 256 characters.
	CopyText string
}

// maxCopyText is the longest text a copy button carries.
const maxCopyText = 256

// Photo is a QR code picture to send.
type Photo struct {
	// QR is the text the picture encodes as a QR code (an LPA string): the
	// channel draws the picture.
	QR string
	// Key identifies the picture (a sale reference), so a channel can reuse
	// an upload when the same picture is sent again.
	Key string
	// Name is a file name for the picture.
	Name string
}

// Document is a file to send.
type Document struct {
	// Name is the file name, such as "sales-20261126-20261202.csv".
	Name string
	// Data is the file's content.
	Data []byte
}

// ContactRequest asks the user to share their phone number.
type ContactRequest struct {
	// Share is the label of the button that shares it.
	Share string
	// Withdraw is a short text ("OK.") for a channel that must send a
	// message of its own to take the request away.
	Withdraw string
}

// Messenger delivers messages to a chat. It is the channel: Telegram, the
// terminal, a test recorder.
type Messenger interface {
	// Send shows m in chat. An error means the user may not have it; one
	// that wraps ErrRefused or ErrBlocked means they surely do not.
	Send(ctx context.Context, chat ChatID, m Message) error
}

// Errors a Messenger's Send wraps when it knows the chat did not get the
// message.
var (
	// ErrRefused: the channel refused the message (Telegram answered with
	// an error): it did not reach the chat.
	ErrRefused = errors.New("the channel refused the message")
	// ErrBlocked: the user blocked the bot; nothing reaches them until they
	// write to it again. It is a refusal too.
	ErrBlocked = errors.New("the user blocked the bot")
)

// refused reports whether a Send's error says the chat did not get the
// message.
func refused(err error) bool { return errors.Is(err, ErrRefused) || errors.Is(err, ErrBlocked) }

// Actor is implemented by messengers that can show "typing…" or "sending a
// photo…" while something slow runs.
type Actor interface {
	// Act shows the action ("typing", "upload_photo") in chat.
	Act(ctx context.Context, chat ChatID, action string) error
}

// Outcome tells the channel how the event went.
type Outcome struct {
	// Notice is a short text for the button press (a toast), if any.
	Notice string
	// Stale reports a button from an older screen.
	Stale bool
}
