package telegramtest

import (
	"fmt"
	"strings"
)

// Transcript renders the chat as text, one message after the other, for
// failure messages and golden files: who wrote it, the text or the photo
// and its caption, then each keyboard row as "[label]" buttons. It holds
// no dates or file IDs, so it is stable from one run to the next.
func (s *Server) Transcript(chatID int64) string {
	var b strings.Builder
	for _, m := range s.Messages(chatID) {
		who := fmt.Sprintf("user %d", m.From)
		if m.FromBot {
			who = "bot"
		}
		fmt.Fprintf(&b, "#%d %s:", m.ID, who)
		switch {
		case m.Photo != nil:
			fmt.Fprintf(&b, " [photo %dx%d]", m.Photo.Width, m.Photo.Height)
			if m.Caption != "" {
				fmt.Fprintf(&b, " %s", indent(m.Caption))
			}
		case m.Document != nil:
			fmt.Fprintf(&b, " [document %s, %d bytes]", m.Document.Filename, len(m.Document.Data))
			if m.Caption != "" {
				fmt.Fprintf(&b, " %s", indent(m.Caption))
			}
		case m.Contact != nil:
			fmt.Fprintf(&b, " [contact %s]", m.Contact.PhoneNumber)
		case m.Invoice != nil:
			fmt.Fprintf(&b, " [invoice %d %s] %s: %s", m.Invoice.TotalAmount, m.Invoice.Currency, m.Invoice.Title, indent(m.Invoice.Description))
		case m.SuccessfulPayment != nil:
			fmt.Fprintf(&b, " [paid %d %s]", m.SuccessfulPayment.TotalAmount, m.SuccessfulPayment.Currency)
		default:
			fmt.Fprintf(&b, " %s", indent(m.Text))
		}
		if m.CopiedID != 0 {
			fmt.Fprintf(&b, " (copy of %d#%d)", m.CopiedFrom, m.CopiedID)
		}
		if m.Edited > 0 {
			fmt.Fprintf(&b, " (edited %d)", m.Edited)
		}
		b.WriteByte('\n')
		for _, row := range m.Buttons() {
			b.WriteString("   ")
			for _, btn := range row {
				fmt.Fprintf(&b, " [%s]", btn.Text)
			}
			b.WriteByte('\n')
		}
		if kindOf(m.ReplyMarkup) == markupRemove {
			b.WriteString("    (keyboard removed)\n")
		}
	}
	return b.String()
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }
