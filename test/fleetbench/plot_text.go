/*
Copyright 2026 The cluster-api-k3s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fleetbench

import (
	"fmt"
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// plotFace is a fixed 7×13 bitmap font: it needs no font file and its glyphs are either fully on or off, so
// rotated text can be copied pixel by pixel. It covers printable ASCII only.
var plotFace = basicfont.Face7x13

var plotTextColor = color.RGBA{33, 33, 33, 255}

// Legend geometry: the line sample drawn before each label, and the gaps after a label and between rows.
const (
	legendSwatch = 24
	legendGap    = 20
	legendRow    = 18
)

func textWidth(s string) int { return font.MeasureString(plotFace, s).Ceil() }

// drawText draws s with its baseline at y; align places x at the text's left (0), centre (0.5) or right (1).
func drawText(img *image.RGBA, s string, x, y int, align float64, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: plotFace}
	d.Dot = fixed.P(x-int(align*float64(textWidth(s))), y)
	d.DrawString(s)
}

// drawTitle draws centred text twice, one pixel apart, as a bold face for the panel titles.
func drawTitle(img *image.RGBA, s string, cx, y int) {
	drawText(img, s, cx, y, 0.5, plotTextColor)
	drawText(img, s, cx+1, y, 0.5, plotTextColor)
}

// drawTextUp draws s reading bottom to top, centred on (cx, cy), for a y-axis label: it is drawn level on a
// scratch image first and then turned a quarter turn counter-clockwise.
func drawTextUp(img *image.RGBA, s string, cx, cy int, c color.RGBA) {
	m := plotFace.Metrics()
	w, h := textWidth(s), (m.Ascent + m.Descent).Ceil()
	tmp := image.NewRGBA(image.Rect(0, 0, w, h))
	drawText(tmp, s, 0, m.Ascent.Ceil(), 0, c)
	x0, y0 := cx-h/2, cy+w/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if p := tmp.RGBAAt(x, y); p.A > 0 {
				img.SetRGBA(x0+y, y0-x, p)
			}
		}
	}
}

// legendEntry is one line sample and its label.
type legendEntry struct {
	label string
	c     color.RGBA
	width int
}

func (e legendEntry) size() int { return legendSwatch + 6 + textWidth(e.label) + legendGap }

// legendEntries names each report's Available and created lines, in the colours and widths renderPlot draws.
func legendEntries(reports []*Report) []legendEntry {
	var es []legendEntry
	for i, r := range reports {
		if r == nil {
			continue
		}
		name := r.Config.Flavor
		if name == "" {
			name = fmt.Sprintf("report %d", i+1)
		}
		col := plotColors[i%len(plotColors)]
		es = append(es, legendEntry{name + " Available", col[0], availableWidth(i)},
			legendEntry{name + " created", col[1], 1})
	}
	return es
}

// legendRows wraps the entries into rows no wider than width, so many reports grow the image instead of running
// off its edge.
func legendRows(es []legendEntry, width int) [][]legendEntry {
	var rows [][]legendEntry
	used := width
	for _, e := range es {
		if used+e.size() > width && used > 0 {
			rows = append(rows, nil)
			used = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		used += e.size()
	}
	return rows
}

// drawLegend draws each row centred, with its baseline y and the next one legendRow below.
func drawLegend(img *image.RGBA, rows [][]legendEntry, y int) {
	for _, row := range rows {
		w := -legendGap
		for _, e := range row {
			w += e.size()
		}
		x := (img.Bounds().Dx() - w) / 2
		for _, e := range row {
			plotLine(img, x, y-4, x+legendSwatch, y-4, e.c, e.width)
			drawText(img, e.label, x+legendSwatch+6, y, 0, plotTextColor)
			x += e.size()
		}
		y += legendRow
	}
}
