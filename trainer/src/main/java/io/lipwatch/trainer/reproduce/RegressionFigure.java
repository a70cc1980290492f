package io.lipwatch.trainer.reproduce;

import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.bounds.LowerBounds;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.trainer.data.Regression1D;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code lipwatch reproduce regression}: the CLIP paper's 1-D experiment. A sigmoid MLP is trained on
 * {@link Regression1D} with CLIP for a sequence of λ (default 10, 1, 0.01, 0), each run warm-started from the previous
 * one (weights and Adam state), and the learned functions are drawn over the data with each curve's Lipschitz bounds:
 * upper from AutoLip (sound), lower from the engine's gradient-norm and CLIP pair searches.
 */
public final class RegressionFigure {
  public static final double X_MIN = -5;
  public static final double X_MAX = 5;

  private RegressionFigure() {}

  public record Options(double[] lambdas, int[] hidden, int steps, int pairs, long seed) {
    public static Options defaults() {
      return new Options(new double[] {10, 1, 0.01, 0}, new int[] {100, 50}, 3000, 32, 7);
    }
  }

  public record Curve(double lambda, double[] x, double[] y, double upper, double lower, double mse) {}

  public static List<Curve> run(Options o, PrintStream log) {
    DataSet data = Regression1D.generate(o.seed());
    MultiLayerNetwork net = Architectures.regression(o.hidden(), 1e-2, o.seed());
    double[] grid = new double[401];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = X_MIN + (X_MAX - X_MIN) * i / (grid.length - 1);
    }
    double[][] probeInputs = new double[41][1];
    for (int i = 0; i < probeInputs.length; i++) {
      probeInputs[i][0] = X_MIN + (X_MAX - X_MIN) * i / (probeInputs.length - 1);
    }
    List<Curve> curves = new ArrayList<>();
    for (double lambda : o.lambdas()) {
      // warm start: the same network and updater continue with the next λ
      RegularizedTrainer t = new RegularizedTrainer(net, Regularization.clip(lambda, 0, Double.NaN, o.pairs()), X_MIN, X_MAX,
          o.seed());
      long t0 = System.nanoTime();
      RegularizedTrainer.EpochStats st = null;
      for (int s = 0; s < o.steps(); s++) {
        st = t.epoch(List.of(data), null);
      }
      double[] y = net.output(Nd4j.create(grid, new long[] {grid.length, 1}, DataType.FLOAT)).toDoubleVector();
      ExtractedNetwork x = NetworkExtractor.extract(RestoredModel.of(net), null);
      double upper = AutoLip.sound(x).value();
      double lower = Math.max(LowerBounds.gradientNorm(x, probeInputs, 30, o.seed(), 0).bound().value(),
          LowerBounds.clipPairs(x, probeInputs, List.of(), 30, o.seed(), 0).bound().value());
      Curve c = new Curve(lambda, grid, y, upper, lower, st.loss());
      curves.add(c);
      log.printf(Locale.ROOT, "λ = %-6s %d steps (%.1f s): train MSE %.5f, Lipschitz ∈ [%.3f, %.3f]%n", fmt(lambda), o.steps(),
          (System.nanoTime() - t0) / 1e9, st.loss(), lower, upper);
    }
    return curves;
  }

  static String fmt(double l) {
    return l == 0 ? "0" : String.format(Locale.ROOT, "%g", l).replaceAll("\\.?0+(e|$)", "$1");
  }

  /** Draws the data, the target and every curve with its bounds in the legend. */
  public static void plot(List<Curve> curves, DataSet data, Path png) throws IOException {
    int w = 1000;
    int h = 650;
    int left = 70;
    int right = 30;
    int top = 40;
    int bottom = 60;
    double yMin = -0.5;
    double yMax = 1.5;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    java.util.function.DoubleUnaryOperator px = x -> left + (x - X_MIN) / (X_MAX - X_MIN) * (w - left - right);
    java.util.function.DoubleUnaryOperator py = y -> top + (yMax - y) / (yMax - yMin) * (h - top - bottom);
    // axes and grid
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    for (int xi = (int) X_MIN; xi <= X_MAX; xi++) {
      int xx = (int) px.applyAsDouble(xi);
      g.setColor(new Color(235, 235, 235));
      g.drawLine(xx, top, xx, h - bottom);
      g.setColor(Color.DARK_GRAY);
      g.drawString(Integer.toString(xi), xx - 5, h - bottom + 18);
    }
    for (double yi = yMin; yi <= yMax + 1e-9; yi += 0.5) {
      int yy = (int) py.applyAsDouble(yi);
      g.setColor(new Color(235, 235, 235));
      g.drawLine(left, yy, w - right, yy);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%.1f", yi), left - 35, yy + 5);
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, w - left - right, h - top - bottom);
    g.drawString("x", w / 2, h - 20);
    g.drawString("CLIP 1-D regression: f(x) = ½·max(|x| − 3, 0), 100 noisy samples; warm-started λ sequence", left, 25);
    // target, dashed
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 6}, 0));
    int prevX = -1;
    int prevY = -1;
    for (int i = 0; i <= 200; i++) {
      double x = X_MIN + (X_MAX - X_MIN) * i / 200;
      int xx = (int) px.applyAsDouble(x);
      int yy = (int) py.applyAsDouble(Regression1D.target(x));
      if (prevX >= 0) {
        g.drawLine(prevX, prevY, xx, yy);
      }
      prevX = xx;
      prevY = yy;
    }
    Color[] colors = {new Color(0xd62728), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x1f77b4),
        new Color(0x9467bd), new Color(0x8c564b)};
    g.setStroke(new BasicStroke(2.2f));
    g.setClip(left, top, w - left - right, h - top - bottom);
    for (int k = 0; k < curves.size(); k++) {
      Curve c = curves.get(k);
      g.setColor(colors[k % colors.length]);
      for (int i = 1; i < c.x().length; i++) {
        g.drawLine((int) px.applyAsDouble(c.x()[i - 1]), (int) py.applyAsDouble(c.y()[i - 1]),
            (int) px.applyAsDouble(c.x()[i]), (int) py.applyAsDouble(c.y()[i]));
      }
    }
    // data points
    g.setColor(Color.BLACK);
    double[] dx = data.getFeatures().toDoubleVector();
    double[] dy = data.getLabels().toDoubleVector();
    for (int i = 0; i < dx.length; i++) {
      g.fillOval((int) px.applyAsDouble(dx[i]) - 3, (int) py.applyAsDouble(dy[i]) - 3, 6, 6);
    }
    g.setClip(null);
    // legend
    int lx = left + 15;
    int ly = top + 20;
    int boxH = 22 * (curves.size() + 2) + 8;
    g.setColor(new Color(255, 255, 255, 230));
    g.fillRect(lx - 8, ly - 16, 420, boxH);
    g.setColor(Color.GRAY);
    g.drawRect(lx - 8, ly - 16, 420, boxH);
    g.setStroke(new BasicStroke(2.2f));
    for (int k = 0; k < curves.size(); k++) {
      Curve c = curves.get(k);
      g.setColor(colors[k % colors.length]);
      g.drawLine(lx, ly - 4, lx + 30, ly - 4);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "λ = %s:  L ∈ [%.3f, %.3f]  (lower: engine, upper: AutoLip)", fmt(c.lambda()),
          c.lower(), c.upper()), lx + 40, ly);
      ly += 22;
    }
    g.setColor(Color.GRAY);
    g.drawLine(lx, ly - 4, lx + 30, ly - 4);
    g.setColor(Color.BLACK);
    g.drawString("target f (dashed), true L = 0.5", lx + 40, ly);
    ly += 22;
    g.fillOval(lx + 12, ly - 8, 6, 6);
    g.drawString("training data", lx + 40, ly);
    g.dispose();
    ImageIO.write(img, "png", png.toFile());
  }
}
