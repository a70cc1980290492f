package io.lipwatch.estimator.bounds.lipsdp;

/**
 * An SDP in the SDPA form solved by CSDP: minimise cᵀy subject to Σᵢ yᵢFᵢ − F₀ ⪰ 0, with block-diagonal symmetric
 * Fᵢ. (CSDP calls F₀ = C, Fᵢ = Aᵢ, c = a; it reports y, Z = Σ yᵢAᵢ − C and the primal X.)
 */
interface SdpData {

  /** Number of scalar variables m (y₁ … y_m). */
  int numVariables();

  /** Block sizes: positive for a dense symmetric block, negative for a diagonal block (SDPA convention). */
  int[] blockSizes();

  /** Objective coefficient c_var, var in 1..m. */
  double objective(int var);

  /** Streams every nonzero entry of F₀ … F_m, upper triangle only (row ≤ col), indices 1-based within the block. */
  void entries(EntrySink sink);

  @FunctionalInterface
  interface EntrySink {
    void accept(int matrix, int block, int row, int col, double value);
  }
}
