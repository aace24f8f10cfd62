package bot_test

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	qrgen "github.com/piglig/go-qr"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/esimbot/esimbot/bot"
)

// benchLPA is an activation string of the usual length.
const benchLPA = "LPA:1$smdp.sandbox.esimbot.example$9C2F1E0A7B3D4C5E6F708192A3B4C5D6"

// BenchmarkQR measures QR code pictures of an LPA string: the encoder
// (github.com/skip2/go-qrcode as flows uses it, at other sizes and
// recovery levels; github.com/piglig/go-qr; gozxing's writer), and the PNG
// (image/png at default compression, or the bot's direct 1-bit writer with
// zlib's fastest level). Each picture is read once with gozxing before timing
// ("decoded" 1: it reads the LPA string back).
func BenchmarkQR(b *testing.B) {
	for _, bc := range []struct {
		name string
		make func() ([]byte, error)
	}{
		{"skip2/medium/512px/image-png", func() ([]byte, error) { return qrcode.Encode(benchLPA, qrcode.Medium, 512) }},
		{"skip2/medium/256px/image-png", func() ([]byte, error) { return qrcode.Encode(benchLPA, qrcode.Medium, 256) }},
		{"skip2/low/256px/image-png", func() ([]byte, error) { return qrcode.Encode(benchLPA, qrcode.Low, 256) }},
		{"skip2/medium/8px-module/png-1bit", func() ([]byte, error) {
			q, err := qrcode.New(benchLPA, qrcode.Medium)
			if err != nil {
				return nil, err
			}
			q.DisableBorder = true
			return modulesPNG(q.Bitmap(), 8, 4), nil
		}},
		{"piglig/medium/8px-module/png-1bit", func() ([]byte, error) {
			q, err := qrgen.EncodeText(benchLPA, qrgen.Medium)
			if err != nil {
				return nil, err
			}
			n := q.Size()
			m := make([][]bool, n)
			for y := range n {
				m[y] = make([]bool, n)
				for x := range n {
					m[y][x] = q.Module(x, y)
				}
			}
			return modulesPNG(m, 8, 4), nil
		}},
		{"gozxing/medium/8px-module/png-1bit", func() ([]byte, error) {
			bm, err := gozxingqr.NewQRCodeWriter().Encode(benchLPA, gozxing.BarcodeFormat_QR_CODE, 0, 0,
				map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 0, gozxing.EncodeHintType_ERROR_CORRECTION: "M"})
			if err != nil {
				return nil, err
			}
			n := bm.GetWidth()
			m := make([][]bool, n)
			for y := range n {
				m[y] = make([]bool, n)
				for x := range n {
					m[y][x] = bm.Get(x, y)
				}
			}
			return modulesPNG(m, 8, 4), nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			png, err := bc.make()
			if err != nil {
				b.Fatal(err)
			}
			decoded := 0.0
			if got, err := decodeQR(png); err == nil && got == benchLPA {
				decoded = 1
			} else {
				b.Logf("gozxing does not read the picture: %q, %v", got, err)
			}
			for b.Loop() {
				if _, err := bc.make(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(png)), "png-bytes")
			b.ReportMetric(decoded, "decoded")
		})
	}
}

// modulesPNG writes a QR code's modules (true: dark) as the bot does
// (bot.ModulesPNG: a 1-bit grayscale PNG).
func modulesPNG(modules [][]bool, scale, quiet int) []byte {
	return bot.ModulesPNG(len(modules), func(x, y int) bool { return modules[y][x] }, scale, quiet)
}

// decodeQR reads the QR code of a PNG with gozxing.
func decodeQR(png []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
