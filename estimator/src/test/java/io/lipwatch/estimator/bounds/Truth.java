package io.lipwatch.estimator.bounds;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Ground truth for the bounds tests that owes nothing to the engine: Jacobians of linear (or everywhere-active) maps
 * from DL4J's own forward pass and parameters, and the spectral norm from LAPACK's symmetric eigen-solver.
 */
final class Truth {
  private Truth() {}

  /**
   * The logit map's Jacobian (k × n) of an MLP whose map is linear on the positive orthant: DL4J's forward pass on every
   * basis vector up to the output layer's input, times the output layer's own W (logits, not softmax).
   */
  static double[][] logitJacobian(MultiLayerNetwork net, int inDim) {
    INDArray eye = Nd4j.eye(inDim).castTo(DataType.DOUBLE);
    List<INDArray> acts = net.feedForward(eye, false);
    INDArray h = acts.get(acts.size() - 2).castTo(DataType.DOUBLE); // input of the output layer
    INDArray z = h.mmul(net.getOutputLayer().getParam("W").castTo(DataType.DOUBLE)); // row j = (J e_j)ᵀ
    return transpose(z.toDoubleMatrix());
  }

  /** The Jacobian (k × n) of a graph whose output layer is the identity: DL4J's output on every basis vector, minus f(0). */
  static double[][] graphJacobian(ComputationGraph g, int inDim) {
    INDArray eye = Nd4j.eye(inDim).castTo(DataType.DOUBLE);
    double[][] rows = g.outputSingle(eye).toDoubleMatrix();
    double[] at0 = g.outputSingle(Nd4j.zeros(DataType.DOUBLE, 1, inDim)).toDoubleMatrix()[0];
    for (double[] r : rows) {
      for (int k = 0; k < r.length; k++) {
        r[k] -= at0[k];
      }
    }
    return transpose(rows);
  }

  /** DL4J's dense W ([nIn, nOut], used as x·W) as the matrix of x ↦ Wᵀx. */
  static double[][] dense(INDArray w) {
    return transpose(w.castTo(DataType.DOUBLE).toDoubleMatrix());
  }

  static double[][] times(double[][] a, double[][] b) {
    double[][] c = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int k = 0; k < b.length; k++) {
        for (int j = 0; j < b[0].length; j++) {
          c[i][j] += a[i][k] * b[k][j];
        }
      }
    }
    return c;
  }

  static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }

  /**
   * ‖A‖₂ = √λ_max(AAᵀ or AᵀA, the smaller), the eigenvalues from LAPACK's symmetric solver (dsyev, through ND4J), not
   * from the engine's own eigen-solvers.
   */
  static double spectralNorm(double[][] a) {
    double[][] g = a.length <= a[0].length ? times(a, transpose(a)) : times(transpose(a), a);
    INDArray eigenvalues = Eigen.symmetricGeneralizedEigenvalues(Nd4j.createFromArray(g).dup('f'), false);
    return Math.sqrt(Math.max(0, eigenvalues.maxNumber().doubleValue()));
  }
}
