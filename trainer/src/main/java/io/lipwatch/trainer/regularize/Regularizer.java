package io.lipwatch.trainer.regularize;

import java.util.Locale;

/** What is added to the data loss. */
public enum Regularizer {
  /** Data loss only. */
  NONE,
  /** µ/2·‖W‖² over weight matrices and kernels (not biases), µ moved by the discrepancy principle (the paper's baseline). */
  WEIGHT_DECAY,
  /** CLIP: λ·Lip(f, X_Lip) over adversarially moved input pairs, λ moved by the discrepancy principle. */
  CLIP,
  /** LipBound (Araujo et al. 2021): C·Σ log LipBound(K) over the convolution kernels; C moved by the discrepancy principle. */
  LIPBOUND,
  /** Pauli et al. (2020): ADMM between trained weights and a LipSDP-feasible copy; penalises or enforces the bound. */
  ADMM_LIPSDP;

  /** The name used on the command line and in the {@code lipwatch.regularizer} header. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Regularizer parse(String s) {
    for (Regularizer r : values()) {
      if (r.label().equalsIgnoreCase(s.trim()) || r.name().equalsIgnoreCase(s.trim())) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown regularizer '" + s + "' (none, weight-decay, clip, lipbound, admm-lipsdp)");
  }
}
