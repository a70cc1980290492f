package io.lipwatch.estimator.bounds.lipsdp;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.util.List;

/**
 * The W̄-step of Pauli et al.'s ADMM: min Σ_i ‖W̄_i − W_i‖²_F (+ c·ρ when ρ is free) subject to the LipSDP LMI with
 * fixed multipliers T and ρ = L_des² (enforce) or ρ a variable (penalise). With α = 0 the LMI is linear in
 * W̄_1 … W̄_{L−1}; the last layer enters through a Schur complement, S_lin − W̄_LᵀW̄_L ⪰ 0 ⇔ [[S_lin, Uᵀ], [U, I]] ⪰ 0
 * with U = [0 … 0 W̄_L]. Each row's squared distance is an epigraph variable s_r with
 * [[s_r, (w̄_r − w_r)ᵀ], [w̄_r − w_r, I]] ⪰ 0. Variables: every weight, then one s per row, then ρ when free.
 */
final class LipSdpProjection implements SdpData {
  private final LipSdpProblem net; // shapes, offsets, slopes
  private final double rho; // fixed ρ, or NaN when ρ is a variable
  private final double rhoCost; // objective coefficient of the free ρ
  private final double[] t; // per hidden neuron
  private final double margin;
  private final int[] wStart; // first variable of layer i (1-based var numbers), i = 1..L
  final int numWeights;
  final int numRows;

  /**
   * @param rho ρ = L_des² (enforce), or NaN to make ρ a variable with objective coefficient {@code rhoCost} (penalise)
   */
  LipSdpProjection(List<DenseMatrix> w, List<ActivationSpec> acts, double[] t, double rho, double rhoCost,
      double margin) {
    this.net = new LipSdpProblem(w, acts, LipSdp.Mode.NEURON, 0);
    this.rho = rho;
    this.rhoCost = rhoCost;
    this.t = t;
    this.margin = margin;
    this.wStart = new int[net.layers + 1];
    int v = 1;
    int rows = 0;
    for (int i = 1; i <= net.layers; i++) {
      wStart[i] = v;
      v += net.size[i] * net.size[i - 1];
      rows += net.size[i];
    }
    this.numWeights = v - 1;
    this.numRows = rows;
  }

  int weightVar(int layer, int row, int col) {
    return wStart[layer] + row * net.size[layer - 1] + col;
  }

  boolean freeRho() {
    return Double.isNaN(rho);
  }

  /** The variable number of the free ρ. */
  int rhoVar() {
    return numWeights + numRows + 1;
  }

  @Override
  public int numVariables() {
    return numWeights + numRows + (freeRho() ? 1 : 0);
  }

  @Override
  public int[] blockSizes() {
    int[] b = new int[1 + numRows];
    b[0] = net.dim + net.size[net.layers];
    int k = 1;
    for (int i = 1; i <= net.layers; i++) {
      for (int j = 0; j < net.size[i]; j++) {
        b[k++] = net.size[i - 1] + 1;
      }
    }
    return b;
  }

  @Override
  public double objective(int var) {
    if (freeRho() && var == rhoVar()) {
      return rhoCost;
    }
    return var > numWeights ? 1.0 : 0.0;
  }

  @Override
  public void entries(EntrySink sink) {
    int dim = net.dim;
    int nl = net.size[net.layers];
    // F₀ = −(constant part) + δI on the LMI block
    for (int a = 0; a < dim + nl; a++) {
      double c;
      if (a < net.n0) {
        if (freeRho()) {
          sink.accept(rhoVar(), 1, a + 1, a + 1, 1.0);
          c = 0;
        } else {
          c = rho;
        }
      } else if (a < dim) {
        c = 2 * t[a - net.n0];
      } else {
        c = 1;
      }
      sink.accept(0, 1, a + 1, a + 1, -c + margin);
    }
    int block = 2;
    int sVar = numWeights + 1;
    for (int i = 1; i <= net.layers; i++) {
      DenseMatrix wi = net.w.get(i - 1);
      int in = net.size[i - 1];
      int p = net.offset[i - 1];
      for (int j = 0; j < net.size[i]; j++) {
        for (int a = 0; a < in; a++) {
          int var = weightVar(i, j, a);
          if (i < net.layers) {
            double apb = net.alpha[i] + net.beta[i];
            int q = net.offset[i] + j;
            sink.accept(var, 1, p + a + 1, q + 1, -apb * t[net.offset[i] - net.n0 + j]);
          } else {
            sink.accept(var, 1, p + a + 1, dim + j + 1, 1.0);
          }
          sink.accept(var, block, 1, a + 2, 1.0);
          sink.accept(0, block, 1, a + 2, wi.get(j, a));
          sink.accept(0, block, a + 2, a + 2, -1.0);
        }
        sink.accept(sVar, block, 1, 1, 1.0);
        sVar++;
        block++;
      }
    }
  }

  /** The free ρ from the solver's y. */
  double rho(double[] y) {
    return freeRho() ? y[rhoVar() - 1] : rho;
  }

  /** W̄ from the solver's y. */
  List<DenseMatrix> weights(double[] y) {
    DenseMatrix[] out = new DenseMatrix[net.layers];
    for (int i = 1; i <= net.layers; i++) {
      int rows = net.size[i];
      int cols = net.size[i - 1];
      double[] d = new double[rows * cols];
      System.arraycopy(y, wStart[i] - 1, d, 0, d.length);
      out[i - 1] = new DenseMatrix(rows, cols, d);
    }
    return List.of(out);
  }
}
