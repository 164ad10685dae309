package org.miniups.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Draws the pipeline benchmark's figure from its JSON reports: packages/s and p99 latency against
 * N (both axes logarithmic), ours and the baseline measured beside it, one colour per database.
 * Plain Java2D, headless, so redrawing needs nothing but the JDK.
 *
 * <p>Arguments: {@code <out.png> <pipeline-postgres.json> [<pipeline-h2.json> …]}.
 */
public final class PipelinePlot {
  private static final int WIDTH = 1400;
  private static final int HEIGHT = 560;
  private static final int PANEL_WIDTH = 560;
  private static final int TOP = 70;
  private static final int PLOT_HEIGHT = 360;
  private static final List<Color> COLOURS = List.of(new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c));
  private static final Stroke SOLID = new BasicStroke(2.5f);
  private static final Stroke DASHED =
      new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f);

  /** One line: a UPS beside one database; hollow points failed the delivery check. */
  private record Series(String label, Color colour, boolean baseline, TreeMap<Integer, Double> valid, TreeMap<Integer, Double> voided) {}

  private PipelinePlot() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    List<File> inputs = new ArrayList<>();
    for (int i = 1; i < args.length; i++) inputs.add(new File(args[i]));
    List<PipelineBenchmark.Report> reports = PipelineBenchmark.read(inputs);
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    panel(g, 80, "packages/s (first AUPickup → last UADelivered)", series(reports, RunResult::packagesPerSecond, Summary::packagesPerSecond));
    panel(g, 80 + PANEL_WIDTH + 110, "p99 latency per package, ms (AUPickup → UADelivered)", series(reports, RunResult::p99Millis, Summary::p99Millis));
    legend(g, series(reports, RunResult::packagesPerSecond, Summary::packagesPerSecond));
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    PipelineBenchmark.Report first = reports.get(0);
    g.drawString(String.format(Locale.ROOT,
        "mini-UPS pipeline benchmark, %s: %d trucks, all pickups at once, World at its fastest, flakiness 0; median of runs; x: packages N",
        first.date(), first.setup().trucks()), 80, 30);
    g.dispose();
    ImageIO.write(image, "png", new File(args[0]));
    System.out.println("drawn " + args[0]);
  }

  private static List<Series> series(
      List<PipelineBenchmark.Report> reports, Function<RunResult, Double> runFigure, Function<Summary, Double> figure) {
    List<Series> all = new ArrayList<>();
    for (int i = 0; i < reports.size(); i++) {
      PipelineBenchmark.Report report = reports.get(i);
      Color colour = COLOURS.get(i % COLOURS.size());
      for (String ups : List.of("ours", "baseline")) {
        TreeMap<Integer, Double> valid = new TreeMap<>();
        TreeMap<Integer, Double> voided = new TreeMap<>();
        for (Summary summary : report.summaries()) {
          if (!summary.ups().equals(ups)) continue;
          Double value = figure.apply(summary);
          if (value != null) valid.put(summary.packages(), value);
          else voidMedian(report.runs(), ups, summary.packages(), runFigure).ifPresent(v -> voided.put(summary.packages(), v));
        }
        String label = ups.equals("ours") ? "mini-UPS on " + report.database() : "baseline (beside the " + report.database() + " runs)";
        all.add(new Series(label, colour, ups.equals("baseline"), valid, voided));
      }
    }
    return all;
  }

  /** The median of runs that failed the check but still measured: shown hollow, for scale only. */
  private static Optional<Double> voidMedian(List<RunResult> runs, String ups, int packages, Function<RunResult, Double> figure) {
    double[] values = runs.stream()
        .filter(run -> run.ups().equals(ups) && run.packages() == packages)
        .map(figure).filter(Objects::nonNull).mapToDouble(Double::doubleValue).sorted().toArray();
    return values.length == 0 ? Optional.empty() : Optional.of(values[values.length / 2]);
  }

  private static void panel(Graphics2D g, int left, String title, List<Series> series) {
    List<Integer> sizes = series.stream().flatMap(s -> Stream.concat(s.valid().keySet().stream(), s.voided().keySet().stream())).distinct().sorted().toList();
    List<Double> values = series.stream().flatMap(s -> Stream.concat(s.valid().values().stream(), s.voided().values().stream())).toList();
    if (sizes.isEmpty()) return;
    double minX = Math.log(sizes.get(0)) - 0.15;
    double maxX = Math.log(sizes.get(sizes.size() - 1)) + 0.15;
    double minY = Math.floor(Math.log10(values.stream().mapToDouble(Double::doubleValue).min().orElse(1)));
    double maxY = Math.ceil(Math.log10(values.stream().mapToDouble(Double::doubleValue).max().orElse(10)));
    if (maxY <= minY) maxY = minY + 1;
    Axis axis = new Axis(left, minX, maxX, minY, maxY);
    g.setStroke(new BasicStroke(1f));

    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.setColor(Color.BLACK);
    g.drawString(title, left, TOP - 12);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (double decade = minY; decade <= maxY; decade++) {
      for (int step = 1; step < 10 && decade + Math.log10(step) <= maxY; step++) {
        int y = axis.y(Math.pow(10, decade) * step);
        g.setColor(step == 1 ? new Color(0xcccccc) : new Color(0xeeeeee));
        g.drawLine(left, y, left + PANEL_WIDTH, y);
        if (step == 1 || (maxY - minY <= 2 && (step == 2 || step == 5))) {
          g.setColor(Color.DARK_GRAY);
          g.drawString(compact(Math.pow(10, decade) * step), left - 48, y + 4);
        }
      }
    }
    for (int n : sizes) {
      int x = axis.x(n);
      g.setColor(new Color(0xeeeeee));
      g.drawLine(x, TOP, x, TOP + PLOT_HEIGHT);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.valueOf(n), x - 14, TOP + PLOT_HEIGHT + 18);
    }
    g.setColor(Color.GRAY);
    g.drawRect(left, TOP, PANEL_WIDTH, PLOT_HEIGHT);
    for (Series s : series) draw(g, axis, s);
  }

  private static void draw(Graphics2D g, Axis axis, Series s) {
    g.setColor(s.colour());
    g.setStroke(s.baseline() ? DASHED : SOLID);
    Integer previous = null;
    for (var point : s.valid().entrySet()) {
      if (previous != null) {
        g.drawLine(axis.x(previous), axis.y(s.valid().get(previous)), axis.x(point.getKey()), axis.y(point.getValue()));
      }
      previous = point.getKey();
    }
    g.setStroke(new BasicStroke(2f));
    s.valid().forEach((n, v) -> g.fillOval(axis.x(n) - 5, axis.y(v) - 5, 10, 10));
    s.voided().forEach((n, v) -> g.drawOval(axis.x(n) - 6, axis.y(v) - 6, 12, 12));
  }

  private static void legend(Graphics2D g, List<Series> series) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    int x = 80;
    int y = TOP + PLOT_HEIGHT + 50;
    for (Series s : series) {
      g.setColor(s.colour());
      g.setStroke(s.baseline() ? DASHED : SOLID);
      g.drawLine(x, y - 4, x + 36, y - 4);
      g.setColor(Color.BLACK);
      g.drawString(s.label(), x + 44, y);
      x += 44 + g.getFontMetrics().stringWidth(s.label()) + 40;
      if (x > WIDTH - 300) {
        x = 80;
        y += 22;
      }
    }
    x = 80;
    y += 24;
    g.setColor(Color.DARK_GRAY);
    g.setStroke(new BasicStroke(2f));
    g.drawOval(x + 12, y - 10, 12, 12);
    g.drawString("hollow: every run at this N failed the delivery check (not a result; the median of those runs, shown for scale)",
        x + 44, y);
  }

  private static String compact(double value) {
    if (value >= 1000) return String.format(Locale.ROOT, "%.0fk", value / 1000);
    return String.format(Locale.ROOT, value < 1 ? "%.1f" : "%.0f", value);
  }

  /** Log-log mapping from (N, value) to pixels of one panel. */
  private record Axis(int left, double minX, double maxX, double minY, double maxY) {
    int x(double n) {
      return left + (int) Math.round((Math.log(n) - minX) / (maxX - minX) * PANEL_WIDTH);
    }

    int y(double value) {
      return TOP + PLOT_HEIGHT - (int) Math.round((Math.log10(value) - minY) / (maxY - minY) * PLOT_HEIGHT);
    }
  }
}
