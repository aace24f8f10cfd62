package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP answers the Bot API calls of the bot under test (and of the
// bare bot): getUpdates, the messages, edits, photos and answers it sends.
func (a *benchAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot"+a.token+"/")
	if !ok {
		writeBench(w, http.StatusUnauthorized, nil)
		return
	}
	p, err := benchParams(r)
	if err != nil {
		writeBench(w, http.StatusBadRequest, nil)
		return
	}
	method := strings.ToLower(rest)
	a.mu.Lock()
	a.calls[method]++
	a.mu.Unlock()
	var result any = true
	switch method {
	case "getme":
		result = map[string]any{"id": 1, "is_bot": true, "first_name": "Bench", "username": "bench_bot"}
	case "getupdates":
		a.pollOnce.Do(func() { close(a.polled) })
		result = a.getUpdates(r.Context(), p)
	case "getmydescription":
		result = map[string]string{"description": ""}
	case "getmyshortdescription":
		result = map[string]string{"short_description": ""}
	case "sendmessage", "sendphoto", "editmessagetext":
		result = a.message(method, p)
	case "answercallbackquery":
		a.answer(p)
	case "sendchataction":
		a.mu.Lock()
		a.actions++
		a.mu.Unlock()
	}
	writeBench(w, http.StatusOK, result)
}

// getUpdates confirms what is before the offset and returns up to 100
// updates, waiting up to the timeout for one.
func (a *benchAPI) getUpdates(ctx context.Context, p map[string]string) []json.RawMessage {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		drop := 0
		for drop < len(a.queue) && a.queue[drop].id < offset {
			drop++
		}
		a.queue = a.queue[drop:]
		if len(a.queue) > 0 || timeout <= 0 {
			n := min(len(a.queue), 100)
			out := make([]json.RawMessage, n)
			for i := range n {
				out[i] = a.queue[i].raw
				if a.queue[i].id > a.given {
					a.given = a.queue[i].id
					a.received++
				}
			}
			a.mu.Unlock()
			return out
		}
		ch := a.arrived
		a.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			timeout = 0
		case <-ctx.Done():
			return nil
		}
	}
}

// message records a message, a photo or an edit from the bot.
func (a *benchAPI) message(method string, p map[string]string) any {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	now := time.Now()
	var buttons []benchButton
	if mk := p["reply_markup"]; mk != "" {
		var k struct {
			Rows [][]benchButton `json:"inline_keyboard"`
		}
		if json.Unmarshal([]byte(mk), &k) == nil {
			for _, row := range k.Rows {
				for _, b := range row {
					if b.Data != "" {
						buttons = append(buttons, b)
					}
				}
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.chat(chat)
	a.replies++
	c.last = now
	var m *benchMsg
	if method == "editmessagetext" {
		id, _ := strconv.Atoi(p["message_id"])
		if m = c.msgs[id]; m == nil {
			c.touch()
			return map[string]any{"message_id": id, "date": now.Unix(), "chat": wireChat{ID: chat, Type: "private"}}
		}
		m.text, m.buttons, m.at = p["text"], buttons, now
	} else {
		c.nextMsg++
		m = &benchMsg{id: c.nextMsg, text: p["text"] + p["caption"], buttons: buttons, photo: method == "sendphoto", at: now}
		c.msgs[m.id] = m
	}
	if len(buttons) > 0 {
		c.screen = m.id
	}
	c.touch()
	out := map[string]any{"message_id": m.id, "date": now.Unix(), "chat": wireChat{ID: chat, Type: "private"}, "text": m.text}
	if m.photo {
		out["photo"] = []map[string]any{{"file_id": fmt.Sprintf("photo-%d-%d", chat, m.id), "file_unique_id": "u", "width": 512, "height": 512}}
	}
	return out
}

// answer records the answer of a tap.
func (a *benchAPI) answer(p map[string]string) {
	q := p["callback_query_id"]
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.replies++
	if chat, ok := a.asked[q]; ok {
		delete(a.asked, q)
		c := a.chat(chat)
		c.answers[q] = now
		c.last = now
		c.touch()
	}
}

// benchParams reads a Bot API request's parameters from a JSON or
// multipart body (a file part is read and dropped).
func benchParams(r *http.Request) (map[string]string, error) {
	p := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]json.RawMessage
		body, err := io.ReadAll(r.Body)
		if err != nil || len(body) == 0 {
			return p, err
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				p[k] = s
			} else {
				p[k] = string(v)
			}
		}
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return p, nil // no body (getMe)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, nil // an empty body with a multipart type
			}
			if part.FileName() != "" {
				_, _ = io.Copy(io.Discard, part)
				p[part.FormName()] = "(file)"
				continue
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, err
			}
			p[part.FormName()] = string(b)
		}
	default:
		_, _ = io.Copy(io.Discard, r.Body)
	}
	return p, nil
}

// writeBench writes a Bot API answer.
func writeBench(w http.ResponseWriter, status int, result any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status != http.StatusOK {
		_, _ = fmt.Fprintf(w, `{"ok":false,"error_code":%d,"description":"%s"}`, status, http.StatusText(status))
		return
	}
	b, _ := json.Marshal(map[string]any{"ok": true, "result": result})
	_, _ = w.Write(b)
}
