package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	postgresColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
	replisqlColor = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff} // orange
)

// configGlyphs and configDashes tell configurations apart, in report order.
var (
	configGlyphs = []draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{},
	}
	configDashes = [][]vg.Length{
		nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)},
	}
)

// writePlot draws TPS against clients for the -M prepared cases to a PNG:
// one panel per script, each with its own TPS scale, and in each panel one
// line per configuration × system (colour: system; marker and dashes:
// configuration).
func writePlot(path string, o *options, groups []groupResult) error {
	clients := append([]int(nil), o.clients...)
	slices.Sort(clients)
	var ticks plot.ConstantTicks
	for _, c := range clients {
		ticks = append(ticks, plot.Tick{Value: float64(c), Label: strconv.Itoa(c)})
	}
	var panels []*plot.Plot
	lines := 0
	for _, script := range o.scriptsRun() {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (-M prepared, scale %d, %d s)", script, o.scale, int(o.duration.Seconds()))
		p.X.Label.Text = "clients"
		p.Y.Label.Text = "TPS"
		p.X.Tick.Marker = ticks
		p.X.Min, p.X.Max = float64(clients[0]), float64(clients[len(clients)-1])
		if p.X.Min == p.X.Max {
			p.X.Min, p.X.Max = p.X.Min-0.5, p.X.Max+0.5
		} else {
			p.X.Scale = plot.LogScale{}
		}
		p.Y.Min = 0
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.ThumbnailWidth = vg.Points(28)
		p.Add(plotter.NewGrid())
		maxTPS, entries := 0.0, 0
		for gi, g := range groups {
			if cfg, ok := lookupConfig(g.Key); ok && len(cfg.Routes) > 0 {
				continue // several routes per point: the report's tables show them
			}
			for _, sys := range g.Systems {
				var pts plotter.XYs
				for _, c := range clients {
					for _, r := range g.Rows {
						if r.System == sys.Label && r.Case.Script == script && r.Case.Mode == "prepared" &&
							r.Case.Clients == c && r.Err == "" {
							pts = append(pts, plotter.XY{X: float64(c), Y: r.TPS})
							maxTPS = max(maxTPS, r.TPS)
						}
					}
				}
				if len(pts) == 0 {
					continue
				}
				l, s, err := plotter.NewLinePoints(pts)
				if err != nil {
					return err
				}
				col := postgresColor
				if sys.RepliSQL {
					col = replisqlColor
				}
				l.Color, l.Width, l.Dashes = col, vg.Points(1.5), configDashes[gi%len(configDashes)]
				s.Color, s.Shape, s.Radius = col, configGlyphs[gi%len(configGlyphs)], vg.Points(3)
				p.Add(l, s)
				name := sys.Label
				if len(groups) > 1 {
					name += ", " + g.Key // the report's headings name the keys
				}
				p.Legend.Add(name, l, s)
				entries++
				lines++
			}
		}
		// Headroom above the highest point for the legend.
		p.Y.Max = maxTPS * (1.15 + 0.07*float64(entries))
		panels = append(panels, p)
	}
	if lines == 0 {
		return fmt.Errorf("plot: no successful -M prepared cases to draw")
	}
	width := vg.Length(len(panels)) * 4.5 * vg.Inch
	img := vgimg.New(width, 4.5*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(12),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("save plot: %w", err)
	}
	return f.Close()
}
