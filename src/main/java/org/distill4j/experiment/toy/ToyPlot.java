package org.distill4j.experiment.toy;

import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.distill4j.util.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Grouped bars over the classes: teacher, the shared initial student, and the SeqKD and GAD students
 * averaged over seeds with the standard deviation as error bars. Averaging is honest only while the seeds
 * agree; large error bars on GAD mean the seeds settled on different modes (the per-seed distributions are
 * in metrics.json).
 */
public final class ToyPlot {
    private static final Color TEACHER = new Color(0x33, 0x33, 0x33);
    private static final Color INIT = new Color(0xbb, 0xbb, 0xbb);
    private static final Color[] METHODS = {new Color(0x1f, 0x77, 0xb4), new Color(0xd6, 0x27, 0x28)};

    private ToyPlot() {}

    public static CategoryChart chart(ToyResult result) {
        ToyConfig c = result.config();
        CategoryChart chart = new CategoryChartBuilder()
                .width(1000)
                .height(560)
                .title(String.format(Locale.ROOT,
                        "Gaussian-mixture toy: SeqKD covers the modes, GAD seeks one (mean ± std over %d seed%s)",
                        c.seeds(), c.seeds() == 1 ? "" : "s"))
                .xAxisTitle("class")
                .yAxisTitle("probability")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("0.00");
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setErrorBarsColor(Color.BLACK);

        List<Integer> classes = new ArrayList<>();
        for (int k = 0; k < c.classes(); k++) {
            classes.add(k);
        }
        List<Color> colors = new ArrayList<>();
        chart.addSeries(teacherLabel(c), classes, toList(result.teacherProbs()));
        colors.add(TEACHER);
        chart.addSeries(String.format(Locale.ROOT, "initial student N(%s, %s²)", ToyReport.fmt(c.initMu()),
                ToyReport.fmt(c.initSigma())), classes, toList(result.initProbs()));
        colors.add(INIT);
        for (int m = 0; m < result.methods().size(); m++) {
            ToyResult.MethodResult method = result.methods().get(m);
            ToyResult.Summary[] perClass = method.classSummaries();
            List<Double> mean = new ArrayList<>();
            List<Double> std = new ArrayList<>();
            for (ToyResult.Summary s : perClass) {
                mean.add(s.mean());
                std.add(s.std());
            }
            chart.addSeries(method.name() + " student", classes, mean, std);
            colors.add(METHODS[m % METHODS.length]);
        }
        chart.getStyler().setSeriesColors(colors.toArray(Color[]::new));
        return chart;
    }

    /** Writes the chart as PNG through a temporary file and an atomic rename. */
    public static void writePng(ToyResult result, Path target) {
        // rendering needs no display; set before AWT initialises
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = chart(result);
        AtomicFiles.write(target, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private static String teacherLabel(ToyConfig c) {
        StringBuilder sb = new StringBuilder("teacher (modes at");
        for (int i = 0; i < c.teacherModes().size(); i++) {
            sb.append(i == 0 ? " " : ", ").append(ToyReport.fmt(c.teacherModes().get(i).mean()));
        }
        return sb.append(')').toString();
    }

    private static List<Double> toList(double[] values) {
        List<Double> out = new ArrayList<>();
        for (double v : values) {
            out.add(v);
        }
        return out;
    }
}
