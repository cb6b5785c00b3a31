package org.distill4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.UserError;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** XChart line charts with mean ± std bands, written as PNG atomically. */
final class Charts {
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
        new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f)};

    private Charts() {}

    static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(640).height(420).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
        c.getStyler().setMarkerSize(5);
        return c;
    }

    /** A mean curve with a shaded mean ± std band (when there are several seeds). */
    static void band(XYChart c, String name, double[] x, double[] mean, double[] std, int colorIndex) {
        Color color = PALETTE[colorIndex % PALETTE.length];
        boolean hasSpread = false;
        for (double s : std) {
            hasSpread |= s > 0;
        }
        if (hasSpread) {
            double[] lo = new double[mean.length];
            double[] hi = new double[mean.length];
            for (int i = 0; i < mean.length; i++) {
                lo[i] = mean[i] - std[i];
                hi[i] = mean[i] + std[i];
            }
            Color light = new Color(color.getRed(), color.getGreen(), color.getBlue(), 60);
            for (double[] edge : new double[][] {lo, hi}) {
                XYSeries e = c.addSeries(name + (edge == lo ? " -σ" : " +σ"), x, edge);
                e.setMarker(SeriesMarkers.NONE);
                e.setLineColor(light);
                e.setLineStyle(new BasicStroke(1f));
                e.setShowInLegend(false);
            }
        }
        XYSeries s = c.addSeries(name, x, mean);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    static byte[] png(XYChart c) {
        try {
            return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render chart " + c.getTitle(), e);
        }
    }

    static byte[] write(XYChart c, Path file) {
        byte[] bytes = png(c);
        try {
            AtomicFiles.write(file, out -> out.write(bytes));
        } catch (UserError e) {
            throw e;
        }
        return bytes;
    }
}
