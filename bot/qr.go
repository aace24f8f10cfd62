package bot

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
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

// qrPNG draws the QR code of a photo's text (an eSIM's LPA string) with
// github.com/skip2/go-qrcode's matrix at medium error correction, as a
// 1-bit PNG (modulesPNG): image/png's encoder of skip2's own pictures took
// most of the time. BenchmarkQR compares it with the other encoders.
func qrPNG(p *flows.Photo) ([]byte, error) {
	q, err := qrcode.New(p.QR, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code %s: %w", p.Key, err)
	}
	q.DisableBorder = true // modulesPNG draws the quiet zone
	m := q.Bitmap()
	return modulesPNG(len(m), func(x, y int) bool { return m[y][x] }, qrModule, qrQuiet), nil
}

// zlibs keeps compressors at zlib's fastest level: a compressor's state
// is hundreds of kilobytes, more than all the rest of a picture.
var zlibs = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return zw
}}

// modulesPNG writes the n×n modules of a QR code (dark(x, y): the module
// in column x of row y is dark) as a 1-bit grayscale PNG, scale pixels a
// module, inside a white quiet zone of quiet modules.
func modulesPNG(n int, dark func(x, y int) bool, scale, quiet int) []byte {
	side := (n + 2*quiet) * scale
	var idat bytes.Buffer
	zw := zlibs.Get().(*zlib.Writer)
	defer zlibs.Put(zw)
	zw.Reset(&idat)
	white := bytes.Repeat([]byte{0xff}, 1+(side+7)/8)
	white[0] = 0 // each line starts with its filter type: none
	line := make([]byte, len(white))
	for y := range n + 2*quiet {
		copy(line, white)
		if my := y - quiet; my >= 0 && my < n {
			for mx := range n {
				if !dark(mx, my) {
					continue
				}
				for px := (mx + quiet) * scale; px < (mx+quiet+1)*scale; px++ {
					line[1+px/8] &^= 0x80 >> (px % 8)
				}
			}
		}
		for range scale {
			_, _ = zw.Write(line) // into a bytes.Buffer: no error
		}
	}
	_ = zw.Close()
	out := bytes.NewBuffer(make([]byte, 0, idat.Len()+64))
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(side))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(side))
	pngChunk(out, "IHDR", append(ihdr, 1, 0, 0, 0, 0)) // bit depth 1, grayscale, no interlace
	pngChunk(out, "IDAT", idat.Bytes())
	pngChunk(out, "IEND", nil)
	return out.Bytes()
}

// pngChunk appends a PNG chunk: its length, kind, data and CRC.
func pngChunk(out *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	_, _ = crc.Write([]byte(kind))
	_, _ = crc.Write(data)
	out.WriteString(kind)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}
