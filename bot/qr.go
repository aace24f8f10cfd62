package bot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/esimbot/esimbot/flows"
)

// The QR code picture: each module 8 pixels square, inside the standard
// quiet zone of 4 modules; an LPA string of the usual length gives a
// picture of about 300 pixels, which phones read from another screen.
const (
	qrModule = 8
	qrQuiet  = 4
)

// qrPalette is black on white: a two-colour palette, which image/png
// writes as a 1-bit image (about 1 KB, and fast to compress).
var qrPalette = color.Palette{color.White, color.Black}

// qrEncoder writes the pictures at zlib's fastest level, reusing its
// buffers between pictures.
var qrEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}

// pngBuffers is a png.EncoderBufferPool on a sync.Pool.
type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	if e, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return e
	}
	return nil
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// qrPNG draws the QR code of a photo's text (an eSIM's LPA string) with
// github.com/skip2/go-qrcode's matrix at medium error correction.
func qrPNG(p *flows.Photo) ([]byte, error) {
	q, err := qrcode.New(p.QR, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code %s: %w", p.Key, err)
	}
	q.DisableBorder = true
	modules := q.Bitmap()
	side := (len(modules) + 2*qrQuiet) * qrModule
	img := image.NewPaletted(image.Rect(0, 0, side, side), qrPalette) // index 0: white
	for my, row := range modules {
		for mx, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := (mx+qrQuiet)*qrModule, (my+qrQuiet)*qrModule
			for y := y0; y < y0+qrModule; y++ {
				line := img.Pix[y*img.Stride+x0 : y*img.Stride+x0+qrModule]
				for i := range line {
					line[i] = 1
				}
			}
		}
	}
	var out bytes.Buffer
	if err := qrEncoder.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("QR code %s: %w", p.Key, err)
	}
	return out.Bytes(), nil
}
