package web

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// dataVersion is the version of the page's data format (pageData).
const dataVersion = 1

// keyEvery is how many frames apart the page's keyframes are: a seek
// replays at most this many row changes after the nearest keyframe.
const keyEvery = 64

// pageData is what the page's script reads: the movie with every distinct
// screen row stored once, frames as row changes against the frame before,
// and a full screen (a keyframe) every keyEvery frames. Field names are
// short because the page carries them; the format is the page's own.
type pageData struct {
	V         int     `json:"v"`
	Title     string  `json:"title,omitempty"`
	Host      string  `json:"host,omitempty"`
	StartedAt string  `json:"started,omitempty"`
	Cols      int     `json:"cols"`
	Rows      int     `json:"rows"`
	Duration  float64 `json:"duration"`
	// Styles are [fg, bg, attrs]; a colour is -1 (default), 0–255 (palette)
	// or 1<<24|0xRRGGBB.
	Styles [][3]int32 `json:"styles"`
	// Lines are distinct rows as [text, style, text, style, ...]; a style
	// s below zero means style -s-1 on a run of wide characters.
	Lines [][]any `json:"lines"`
	// T holds each frame's time in microseconds after the frame before.
	T []int64 `json:"t"`
	// C holds each frame's cursor: row*cols+col, or -1 when hidden.
	C []int `json:"c"`
	// D holds each frame's changed rows as [row, line, row, line, ...]
	// against the frame before (the first frame: against a blank screen).
	D [][]int `json:"d"`
	// K holds the full screen (a line per row) of frames 0, keyEvery, ...
	K       [][]int      `json:"k"`
	Steps   []pageStep   `json:"steps,omitempty"`
	Markers []pageMarker `json:"markers,omitempty"`
	// XT and XS are the searchable lines (Movie.Text): each one's time
	// in milliseconds after the one before, and its text.
	XT []int64  `json:"xt,omitempty"`
	XS []string `json:"xs,omitempty"`
}

type pageStep struct {
	N         int       `json:"n"`
	Name      string    `json:"name"`
	Status    string    `json:"status,omitempty"`
	Start     float64   `json:"start"`
	End       float64   `json:"end"`
	Narration []string  `json:"narration,omitempty"`
	Commands  []pageCmd `json:"commands,omitempty"`
}

type pageCmd struct {
	Text  string  `json:"text"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Exit  int     `json:"exit"`
}

type pageMarker struct {
	At    float64 `json:"at"`
	Label string  `json:"label"`
}

// encodeData turns m into the page's data format.
func encodeData(m *Movie) (*pageData, error) {
	if m.Cols <= 0 || m.Rows <= 0 {
		return nil, fmt.Errorf("movie has no terminal size (%dx%d)", m.Cols, m.Rows)
	}
	if len(m.Frames) == 0 {
		return nil, fmt.Errorf("movie has no frames")
	}
	d := &pageData{
		V: dataVersion, Title: m.Title, Host: m.Host, StartedAt: m.StartedAt,
		Cols: m.Cols, Rows: m.Rows, Duration: m.Duration,
	}
	styles := map[Style]int{}
	styleOf := func(s Style) int {
		if i, ok := styles[s]; ok {
			return i
		}
		styles[s] = len(d.Styles)
		d.Styles = append(d.Styles, [3]int32{int32(s.FG), int32(s.BG), int32(s.Attrs)})
		return styles[s]
	}
	styleOf(Style{FG: DefaultColor, BG: DefaultColor})
	lines := map[string]int{}
	lineOf := func(l Line) int {
		enc := make([]any, 0, 2*len(l))
		for _, s := range l {
			if s.Text == "" {
				continue
			}
			st := styleOf(s.Style)
			if s.Wide {
				st = -st - 1
			}
			enc = append(enc, s.Text, st)
		}
		// The key is the encoded line itself, so equal rows share one entry.
		kb, _ := json.Marshal(enc)
		k := string(kb)
		if i, ok := lines[k]; ok {
			return i
		}
		lines[k] = len(d.Lines)
		d.Lines = append(d.Lines, enc)
		return lines[k]
	}
	blank := lineOf(nil)
	prev := make([]int, m.Rows)
	for i := range prev {
		prev[i] = blank
	}
	var lastUS int64
	for fi, f := range m.Frames {
		if len(f.Lines) > m.Rows {
			return nil, fmt.Errorf("frame %d at %.6fs has %d rows, movie has %d", fi, f.At, len(f.Lines), m.Rows)
		}
		us := int64(math.Round(f.At * 1e6))
		if us < lastUS {
			return nil, fmt.Errorf("frame %d at %.6fs is before the frame before it", fi, f.At)
		}
		cur := make([]int, m.Rows)
		for r := range cur {
			cur[r] = blank
			if r < len(f.Lines) {
				cur[r] = lineOf(f.Lines[r])
			}
		}
		var diff []int
		for r := range cur {
			if cur[r] != prev[r] {
				diff = append(diff, r, cur[r])
			}
		}
		if diff == nil {
			diff = []int{}
		}
		c := -1
		if f.Cursor.Visible && f.Cursor.Row >= 0 && f.Cursor.Row < m.Rows && f.Cursor.Col >= 0 && f.Cursor.Col < m.Cols {
			c = f.Cursor.Row*m.Cols + f.Cursor.Col
		}
		d.T = append(d.T, us-lastUS)
		d.C = append(d.C, c)
		d.D = append(d.D, diff)
		if fi%keyEvery == 0 {
			d.K = append(d.K, slices.Clone(cur))
		}
		lastUS = us
		prev = cur
	}
	for _, s := range m.Steps {
		ps := pageStep{N: s.N, Name: s.Name, Status: s.Status, Start: s.Start, End: s.End, Narration: s.Narration}
		for _, c := range s.Commands {
			ps.Commands = append(ps.Commands, pageCmd(c))
		}
		d.Steps = append(d.Steps, ps)
	}
	for _, mk := range m.Markers {
		d.Markers = append(d.Markers, pageMarker(mk))
	}
	var lastMS int64
	for _, l := range m.Text {
		ms := max(lastMS, int64(math.Round(l.At*1e3)))
		d.XT = append(d.XT, ms-lastMS)
		d.XS = append(d.XS, l.Text)
		lastMS = ms
	}
	return d, nil
}

// packData encodes d as gzip-compressed JSON in unpadded URL-safe base64
// (no character html/template would escape): the form the page
// embeds and decompresses with the browser's own DecompressionStream.
func packData(d *pageData) (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return "", fmt.Errorf("encode page data: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress page data: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}
