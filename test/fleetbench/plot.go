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
	"image/draw"
	"image/png"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Vertical layout in pixels, top to bottom: the panel titles' baseline, the panels' y range, then the baselines of
// the x tick labels, the x-axis labels and the legend's first row. plotHeight grows by legendRow for each further
// legend row.
const (
	plotWidth, plotHeight = 1200, 500
	plotTitleY            = 20
	plotTop, plotBottom   = 40, 410
	plotTick              = 6
	plotTickLabelY        = plotBottom + plotTick + 15
	plotAxisLabelY        = 455
	plotLegendY           = 482
)

// plotPanels are the x ranges in pixels of the left (clusters over time) and right (time-to-Available CDF) panels;
// the room left of each holds its y tick labels and y-axis label.
var plotPanels = [2][2]int{{80, 570}, {690, 1170}}

// plotColors are the colours of the first (ours) and second (peer) report: Available/CDF, and created clusters.
var plotColors = [][2]color.RGBA{
	{{31, 119, 180, 255}, {158, 202, 225, 255}},  // blue
	{{255, 127, 14, 255}, {253, 208, 162, 255}},  // orange
	{{44, 160, 44, 255}, {161, 217, 155, 255}},   // green
	{{214, 39, 40, 255}, {252, 174, 145, 255}},   // red
	{{148, 103, 189, 255}, {203, 201, 226, 255}}, // purple
}

var (
	plotAxisColor = color.RGBA{0, 0, 0, 255}
	plotGridColor = color.RGBA{225, 225, 225, 255}
)

// plotAxis runs from 0 to Max with a tick every Step.
type plotAxis struct{ Max, Step float64 }

// niceAxis rounds the step to 1, 2 or 5 times a power of ten so that about five ticks cover v; integral axes
// (cluster counts) never get a step below 1. A zero, negative or NaN range becomes 0..1 so nothing divides by 0.
func niceAxis(v float64, integral bool) plotAxis {
	if !(v > 0) || math.IsInf(v, 0) {
		v = 1
	}
	raw := v / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * pow
	for _, m := range []float64{1, 2, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	if integral && step < 1 {
		step = 1
	}
	return plotAxis{Max: math.Ceil(v/step-1e-9) * step, Step: step}
}

// plotLayout are the four axes, shared by all reports of one plot so that overlaid runs compare.
type plotLayout struct {
	Time, Count, Latency, Percent plotAxis
}

func layoutFor(reports []*Report) plotLayout {
	var tMax, nMax, lMax float64
	for _, r := range reports {
		if r == nil {
			continue
		}
		tMax = max(tMax, secondsOf(r.TimeToAllAvailable))
		nMax = max(nMax, float64(r.Config.Clusters), float64(len(r.Clusters)))
		for _, c := range r.Clusters {
			tMax = max(tMax, secondsOf(c.Created), secondsOf(c.Available))
		}
		for _, l := range timesToAvailable(r) {
			lMax = max(lMax, l.Seconds())
		}
	}
	return plotLayout{
		Time:    niceAxis(tMax, false),
		Count:   niceAxis(nMax, true),
		Latency: niceAxis(lMax, false),
		Percent: plotAxis{Max: 100, Step: 20},
	}
}

func secondsOf(d Duration) float64 { return time.Duration(d).Seconds() }

// timesToAvailable are the sorted times to Available of the clusters that became Available.
func timesToAvailable(r *Report) []time.Duration {
	var ls []time.Duration
	for _, c := range r.Clusters {
		if c.Available > 0 && c.Available >= c.Created {
			ls = append(ls, time.Duration(c.Available-c.Created))
		}
	}
	slices.Sort(ls)
	return ls
}

// WritePlot writes a PNG of two panels: left, the clusters created (thin) and Available (thick) over seconds since
// the first creation; right, the cumulative share of clusters by time to Available. Each report has its colour
// (the first blue, the second orange), on shared axes, named in a legend below the panels.
func WritePlot(path string, reports ...*Report) error {
	img := renderPlot(reports)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		_ = f.Close()
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return f.Close()
}

func renderPlot(reports []*Report) *image.RGBA {
	legend := legendRows(legendEntries(reports), plotWidth-20)
	img := image.NewRGBA(image.Rect(0, 0, plotWidth, plotHeight+max(len(legend)-1, 0)*legendRow))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	l := layoutFor(reports)
	left := plotFrame{img: img, x0: plotPanels[0][0], x1: plotPanels[0][1], xa: l.Time, ya: l.Count}
	right := plotFrame{img: img, x0: plotPanels[1][0], x1: plotPanels[1][1], xa: l.Latency, ya: l.Percent}
	left.axes("Clusters created and Available over time", "seconds since the first creation", "clusters")
	right.axes("Clusters Available by time since their creation (cumulative)",
		"seconds from the cluster's creation to Available", "% of clusters")
	drawLegend(img, legend, plotLegendY)
	for i, r := range reports {
		if r == nil {
			continue
		}
		col := plotColors[i%len(plotColors)]
		var created, available []float64
		for _, c := range r.Clusters {
			created = append(created, secondsOf(c.Created))
			if c.Available > 0 {
				available = append(available, secondsOf(c.Available))
			}
		}
		width := availableWidth(i)
		left.countSteps(created, col[1], 1)
		left.countSteps(available, col[0], width)
		right.cdf(timesToAvailable(r), col[0], width)
	}
	return img
}

// availableWidth is the pen of report i's Available and CDF lines: later reports draw thinner on top, so a peer
// that coincides with ours leaves ours visible at the edge.
func availableWidth(i int) int {
	if i > 0 {
		return 2
	}
	return 3
}

// plotFrame maps data to the pixels of one panel.
type plotFrame struct {
	img    *image.RGBA
	x0, x1 int
	xa, ya plotAxis
}

func (f plotFrame) px(v float64) int {
	v = min(max(v, 0), f.xa.Max)
	return f.x0 + int(math.Round(v/f.xa.Max*float64(f.x1-f.x0)))
}

func (f plotFrame) py(v float64) int {
	v = min(max(v, 0), f.ya.Max)
	return plotBottom - int(math.Round(v/f.ya.Max*float64(plotBottom-plotTop)))
}

// axes draws the title, the grid, the two axes with their ticks, tick labels and axis labels.
func (f plotFrame) axes(title, xLabel, yLabel string) {
	drawTitle(f.img, title, (f.x0+f.x1)/2, plotTitleY)
	for i := 0; float64(i)*f.xa.Step <= f.xa.Max+1e-9; i++ {
		v := float64(i) * f.xa.Step
		x := f.px(v)
		plotLine(f.img, x, plotTop, x, plotBottom, plotGridColor, 1)
		plotLine(f.img, x, plotBottom, x, plotBottom+plotTick, plotAxisColor, 1)
		drawText(f.img, trimNum(v), x, plotTickLabelY, 0.5, plotTextColor)
	}
	for i := 0; float64(i)*f.ya.Step <= f.ya.Max+1e-9; i++ {
		v := float64(i) * f.ya.Step
		y := f.py(v)
		plotLine(f.img, f.x0, y, f.x1, y, plotGridColor, 1)
		plotLine(f.img, f.x0-plotTick, y, f.x0, y, plotAxisColor, 1)
		drawText(f.img, trimNum(v), f.x0-plotTick-4, y+4, 1, plotTextColor) // +4 centres the digits on the tick
	}
	drawText(f.img, xLabel, (f.x0+f.x1)/2, plotAxisLabelY, 0.5, plotTextColor)
	drawTextUp(f.img, yLabel, f.x0-58, (plotTop+plotBottom)/2, plotTextColor)
	plotLine(f.img, f.x0, plotTop, f.x0, plotBottom, plotAxisColor, 2)
	plotLine(f.img, f.x0, plotBottom, f.x1, plotBottom, plotAxisColor, 2)
}

// countSteps draws how many of the times have passed, as a step line held to the end of the axis.
func (f plotFrame) countSteps(times []float64, c color.RGBA, width int) {
	ts := slices.Clone(times)
	slices.Sort(ts)
	x, y := f.px(0), f.py(0)
	for i, t := range ts {
		nx, ny := f.px(t), f.py(float64(i+1))
		plotLine(f.img, x, y, nx, y, c, width)
		plotLine(f.img, nx, y, nx, ny, c, width)
		x, y = nx, ny
	}
	plotLine(f.img, x, y, f.x1, y, c, width)
}

// cdf draws the share of sorted latencies at or below each x, in percent.
func (f plotFrame) cdf(sorted []time.Duration, c color.RGBA, width int) {
	if len(sorted) == 0 {
		return
	}
	n := float64(len(sorted))
	x, y := f.px(0), f.py(0)
	for i, l := range sorted {
		nx, ny := f.px(l.Seconds()), f.py(float64(i+1)/n*100)
		plotLine(f.img, x, y, nx, y, c, width)
		plotLine(f.img, nx, y, nx, ny, c, width)
		x, y = nx, ny
	}
	plotLine(f.img, x, y, f.x1, y, c, width)
}

// plotLine draws a segment (Bresenham) with a square pen of the given width; SetRGBA drops pixels outside the
// image.
func plotLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, width int) {
	dx, dy := plotAbs(x1-x0), -plotAbs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	lo := -(width - 1) / 2
	for {
		for i := lo; i < lo+width; i++ {
			for j := lo; j < lo+width; j++ {
				img.SetRGBA(x0+i, y0+j, c)
			}
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func plotAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// PlotCaption describes WritePlot's output for the same reports in words (the Markdown image's caption), so the
// axis ranges, tick spacing and colours are readable without the image.
func PlotCaption(reports ...*Report) string {
	l := layoutFor(reports)
	var b strings.Builder
	fmt.Fprintf(&b, "Left: clusters created (thin) and Available (thick) over time; x 0–%s s, a tick every %s s; "+
		"y 0–%s clusters, a tick every %s. ", trimNum(l.Time.Max), trimNum(l.Time.Step), trimNum(l.Count.Max),
		trimNum(l.Count.Step))
	fmt.Fprintf(&b, "Right: share of clusters Available within x of their creation; x 0–%s s, a tick every %s s; "+
		"y 0–100 %%, a tick every 20 %%.", trimNum(l.Latency.Max), trimNum(l.Latency.Step))
	names := []string{"blue", "orange", "green", "red", "purple"}
	var cols []string
	for i, r := range reports {
		if r != nil {
			cols = append(cols, fmt.Sprintf("%s %s", names[i%len(names)], r.Config.Flavor))
		}
	}
	if len(cols) > 1 {
		fmt.Fprintf(&b, " Colours: %s.", strings.Join(cols, ", "))
	}
	return b.String()
}

// trimNum prints an axis value without trailing zeros (0.2, 5, 1000).
func trimNum(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
