package bot

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/esimbot/esimbot/flows"
)

// qrSize is the side of a QR code picture, in pixels.
const qrSize = 512

// qrPNG draws the QR code of a photo's text (an eSIM's LPA string).
func qrPNG(p *flows.Photo) ([]byte, error) {
	png, err := qrcode.Encode(p.QR, qrcode.Medium, qrSize)
	if err != nil {
		return nil, fmt.Errorf("QR code %s: %w", p.Key, err)
	}
	return png, nil
}
