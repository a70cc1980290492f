package io.lipwatch.trainer.regularize;

/**
 * How CLIP's pairs follow the model's Lipschitz constant during training, so that the penalty measures the slope it
 * is meant to control rather than long secants (all 0: the pairs of the reference code, ascending freely).
 *
 * @param radius      largest ‖x − x′‖ a pair may reach (0: unlimited); a local pair measures a local slope
 * @param reseedEvery every N minibatches the worst quarter of the pairs (lowest quotient) is re-drawn from the current
 *                    minibatch (0: never)
 * @param stallWindow the pairs' best quotient is "stalled" when it has not exceeded its maximum of the last N
 *                    minibatches (0: never checked)
 * @param stallAscent extra ascent-only passes over the pairs when stalled (each costs a forward and backward pass of
 *                    the 2P pair rows)
 * @param engineSeeds after every epoch the engine's CLIP pair search runs on the current weights, seeded with this
 *                    many of the trainer's best pairs and as many data points; its best pairs replace the trainer's
 *                    worst (0: never)
 */
public record ClipTracking(double radius, int reseedEvery, int stallWindow, int stallAscent, int engineSeeds) {
  /** The reference code's pairs: unlimited distance, no re-seeding, one ascent step per minibatch. */
  public static final ClipTracking OFF = new ClipTracking(0, 0, 0, 0, 0);

  /**
   * lipwatch's defaults, chosen from the measurements in trainer/CLIP.md: pairs within ‖x − x′‖ ≤ 1.5 (about the
   * distance of the initial x′ = x + U[0,0.1)⁷⁸⁴), the worst quarter re-drawn every 50 minibatches, 3 ascent passes after
   * 20 stalled minibatches, 8 engine seeds per epoch.
   */
  public static final ClipTracking DEFAULT = new ClipTracking(1.5, 50, 20, 3, 8);

  public ClipTracking {
    if (!(radius >= 0) || Double.isInfinite(radius) || reseedEvery < 0 || stallWindow < 0 || stallAscent < 0
        || engineSeeds < 0) {
      throw new IllegalArgumentException("CLIP tracking settings must be finite and ≥ 0");
    }
  }

  /** Whether the pairs are kept local. */
  public boolean local() {
    return radius > 0;
  }

  public String describe() {
    return this.equals(OFF) ? "pairs ascend freely"
        : String.format(java.util.Locale.ROOT, "radius %s, re-seed every %d, %d ascent passes after %d stalled steps, "
            + "%d engine seeds per epoch", radius == 0 ? "∞" : Double.toString(radius), reseedEvery, stallAscent,
            stallWindow, engineSeeds);
  }
}
