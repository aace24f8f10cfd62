package bot_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	_ "image/png"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	qrgen "github.com/piglig/go-qr"
	qrcode "github.com/skip2/go-qrcode"
)

// benchLPA is an activation string of the usual length.
const benchLPA = "LPA:1$smdp.sandbox.esimbot.example$9C2F1E0A7B3D4C5E6F708192A3B4C5D6"

// BenchmarkQR measures QR code pictures of an LPA string: the encoder
// (github.com/skip2/go-qrcode as flows uses it, at other sizes and
// recovery levels; github.com/piglig/go-qr; gozxing's writer), and the PNG
// (image/png at default compression, or a direct 1-bit writer with zlib's
// fastest level). Each picture is read once with gozxing before timing
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

// zlibs keeps zlib compressors at the fastest level.
var zlibs = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return zw
}}

// modulesPNG writes a QR code's modules (true: dark) as a 1-bit grayscale
// PNG, scale pixels a module, with a quiet zone of quiet modules.
func modulesPNG(modules [][]bool, scale, quiet int) []byte {
	n := len(modules)
	size := (n + 2*quiet) * scale
	var idat bytes.Buffer
	zw := zlibs.Get().(*zlib.Writer) // a compressor's state is about a megabyte: reuse it
	defer zlibs.Put(zw)
	zw.Reset(&idat)
	line := make([]byte, 1+(size+7)/8) // filter type 0, then the pixels
	for y := range n + 2*quiet {
		for i := 1; i < len(line); i++ {
			line[i] = 0xff // white
		}
		if my := y - quiet; my >= 0 && my < n {
			for mx, dark := range modules[my] {
				if dark {
					for px := (mx + quiet) * scale; px < (mx+quiet+1)*scale; px++ {
						line[1+px/8] &^= 0x80 >> (px % 8)
					}
				}
			}
		}
		for range scale {
			_, _ = zw.Write(line)
		}
	}
	_ = zw.Close()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(kind))
		crc.Write(data)
		out.WriteString(kind)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(size))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(size))
	chunk("IHDR", append(ihdr, 1, 0, 0, 0, 0)) // bit depth 1, grayscale
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
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
