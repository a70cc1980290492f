package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.ConvFixtures;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.linalg.ConvSpectral;
import io.lipwatch.estimator.linalg.OperatorNorms;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Convolutions against their explicit matrices, built by DL4J's own forward pass on basis vectors. */
class ConvOperatorTest {

  @ParameterizedTest(name = "c{0} {1}x{2} cout{3} k{4} s{5} p{6} d{7} {8}")
  @CsvSource({
      "1, 6, 6, 2, 3, 1, 0, 1, Truncate",
      "2, 7, 7, 3, 3, 2, 1, 1, Truncate",
      "2, 8, 7, 3, 3, 2, 0, 1, Same",
      "1, 9, 9, 2, 3, 1, 0, 2, Truncate",
      "3, 7, 7, 2, 3, 3, 0, 2, Same",
      "2, 6, 6, 4, 2, 1, 0, 1, Same",
      "2, 10, 10, 2, 5, 2, 2, 1, Truncate"})
  void matchesExplicitMatrixAndBoundsItsNorm(int c, int h, int w, int cout, int k, int s, int p, int d, ConvolutionMode mode) {
    MultiLayerNetwork net = Nets.conv(7 + h * 31L + k, c, h, w, cout, k, s, p, d, mode);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    Conv2dOperator op = (Conv2dOperator) x.nodes().get(0).linear();
    DenseMatrix truth = Nets.explicit(net, c * h * w);
    DenseMatrix ours = op.toDense();
    assertEquals(truth.rows(), ours.rows(), "output size");
    for (int i = 0; i < truth.data().length; i++) {
      assertEquals(truth.data()[i], ours.data()[i], 1e-12, "entry " + i);
    }
    // transpose is the adjoint
    DenseMatrix tt = new DenseMatrix(op.inDim(), op.outDim(), new double[op.inDim() * op.outDim()]);
    double[] e = new double[op.outDim()];
    double[] col = new double[op.inDim()];
    for (int j = 0; j < op.outDim(); j++) {
      e[j] = 1;
      op.applyTranspose(e, col);
      e[j] = 0;
      for (int i = 0; i < op.inDim(); i++) {
        assertEquals(truth.get(j, i), col[i], 1e-12);
      }
    }
    double exact = SpectralNorm.singularValues(truth)[0];
    double gram = ConvSpectral.paddedGramUpper(op, 10);
    double lip = ConvSpectral.lipBound(op, 128);
    double holder = op.holderBound();
    double power = SpectralNorm.power(op, null, 2000, 1e-12, 1).sigma();
    assertTrue(gram >= exact * (1 - 1e-12), "fft-gram " + gram + " < exact " + exact);
    assertTrue(lip >= exact * (1 - 1e-12), "lipbound " + lip + " < exact " + exact);
    assertTrue(holder >= exact * (1 - 1e-12), "holder " + holder + " < exact " + exact);
    assertTrue(OperatorNorms.sound(op).value() >= exact * (1 - 1e-12));
    assertTrue(power <= exact * (1 + 1e-9) && power >= exact * 0.999, "power " + power + " vs " + exact);
  }

  /**
   * The grid correction matters: kernel (1, −1)⊗(1, −1) on 16×16 (valid convolution) is the 2-D difference operator, of
   * norm exactly 4cos²(π/32) (the 1-D difference matrix has singular values 2sin(jπ/32)). |f(ω)| = 4|sin(ω₁/2)sin(ω₂/2)|
   * peaks at ω = (π, π), which no odd grid contains: there the uncorrected grid value falls below the true norm and
   * only the corrected LipBound stays above it.
   */
  @ParameterizedTest(name = "S = {0}")
  @ValueSource(ints = {7, 9, 11, 13})
  void coarseGridNeedsTheCorrection(int s) {
    MultiLayerNetwork net = Nets.conv(1, 1, 16, 16, 1, 2, 1, 0, 1, ConvolutionMode.Truncate);
    net.getLayer(0).setParam("W", Nd4j.create(new double[] {1, -1, -1, 1}, new long[] {1, 1, 2, 2}));
    Conv2dOperator op = (Conv2dOperator) NetworkExtractor.extract(net).nodes().get(0).linear();
    double exact = 4 * Math.pow(Math.cos(Math.PI / 32), 2);
    assertEquals(exact, SpectralNorm.singularValues(Nets.explicit(net, 256))[0], 1e-9, "closed form vs DL4J's matrix");
    // uncorrected: max over the S×S grid of |f(ω)|, with f evaluated here from the kernel
    double unc = 0;
    for (int a = 0; a < s; a++) {
      for (int b = 0; b < s; b++) {
        unc = Math.max(unc, 4 * Math.abs(Math.sin(Math.PI * a / s) * Math.sin(Math.PI * b / s)));
      }
    }
    assertTrue(unc < exact * (1 - 1e-3), "S=" + s + ": uncorrected " + unc + " is not below the norm " + exact);
    assertEquals(unc, ConvSpectral.lipBoundGrid(op.kernel(), 1, 1, 2, 2, 1, 1, s).value(), 1e-12, "grid value");
    double lip = ConvSpectral.lipBound(op, s);
    assertTrue(lip >= exact, "S=" + s + ": corrected LipBound " + lip + " < norm " + exact);
    // the correction is exactly 1/√(1 − π(D_h + D_w)/S), D_h = D_w = 1
    assertEquals(unc / Math.sqrt(1 - 2 * Math.PI / s), lip, 1e-8 * lip);
    // even grids contain π: the uncorrected value is the torus maximum 4
    assertEquals(4.0, ConvSpectral.lipBoundGrid(op.kernel(), 1, 1, 2, 2, 1, 1, 2 * s).value(), 1e-12);
  }

  @Test
  void gridTooCoarseForTheKernelIsRefused() {
    MultiLayerNetwork net = Nets.conv(1, 1, 8, 8, 1, 2, 1, 0, 1, ConvolutionMode.Truncate);
    Conv2dOperator op = (Conv2dOperator) NetworkExtractor.extract(net).nodes().get(0).linear();
    // π(D_h + D_w)/S ≥ 1 for S ≤ 6
    assertThrows(IllegalArgumentException.class, () -> ConvSpectral.lipBound(op, 6));
    assertTrue(ConvSpectral.lipBound(op, 7) > 0);
  }

  /** Sedghi et al.: the Fourier-block value equals the norm of the explicit circulant matrix. */
  @Test
  void circularValueMatchesExplicitCirculant() {
    int ci = 2, co = 3, k = 3, n = 6;
    double[] kernel = ConvFixtures.gaussian(3, co * ci * k * k, 1.0);
    Conv2dOperator op = new Conv2dOperator(ci, n, n, co, n, n, k, k, 1, 1, 1, 1, 0, 0, kernel);
    double exact = SpectralNorm.singularValues(ConvFixtures.circulant(kernel, ci, co, k, n))[0];
    double fft = ConvSpectral.circularGramUpper(op, n, n, 30);
    assertEquals(exact, fft, exact * 1e-6);
    assertTrue(fft >= exact * (1 - 1e-12));
  }
}
