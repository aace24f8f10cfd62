package bot

import (
	"bytes"
	"image"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/esimbot/esimbot/flows"
)

// readQR reads back the text of a QR code picture with gozxing.
func readQR(tb testing.TB, png []byte) string {
	tb.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		tb.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		tb.Fatalf("read QR: %v", err)
	}
	return res.GetText()
}

func TestQRPNGReadsBack(t *testing.T) {
	for _, lpa := range []string{
		"LPA:1$smdp.sandbox.esimbot.example$4ZB3V-E617B-J6F99-S6GTC",
		"LPA:1$rsp-eu.example-operator.com$9C2F1E0A7B3D4C5E6F708192A3B4C5D6$1.3.6.1.4.1.31746$1",
	} {
		png, err := qrPNG(&flows.Photo{QR: lpa, Key: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if got := readQR(t, png); got != lpa {
			t.Errorf("QR reads %q, want %q", got, lpa)
		}
		if len(png) > 4096 {
			t.Errorf("picture of %d bytes: want a 1-bit PNG of a few hundred", len(png))
		}
	}
}

// BenchmarkQRPNG measures the picture the bot sends (qrPNG).
func BenchmarkQRPNG(b *testing.B) {
	p := &flows.Photo{QR: "LPA:1$smdp.sandbox.esimbot.example$9C2F1E0A7B3D4C5E6F708192A3B4C5D6", Key: "bench"}
	png, err := qrPNG(p)
	if err != nil {
		b.Fatal(err)
	}
	readQR(b, png)
	b.ReportMetric(float64(len(png)), "bytes/picture")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrPNG(p); err != nil {
			b.Fatal(err)
		}
	}
}
