/**
 * Certified accuracy beyond the global constant: per class pair and per sample.
 *
 * <p>The global certificate (margin &gt; √2·L·ε, L the best sound bound of the logit map) ignores that a decision only
 * depends on differences of two logits, and that inside a small ball most ReLUs never switch. This package adds:
 * <ul>
 *   <li>{@code pairwise} ({@link io.lipwatch.estimator.certify.PairwiseBounds}): a Lipschitz bound of each margin
 *       z_y − z_j, the network with its last layer replaced by the row difference w_y − w_j (AutoLip's product of the
 *       earlier layers' proven norms times ‖w_y − w_j‖₂, ECLipsE-Fast on the margin network for MLPs, and LipSDP-Neuron
 *       on it for small MLPs, {@link io.lipwatch.estimator.certify.PairwiseLipSdp}). Exact on a linear classifier,
 *       where certified accuracy equals the exact unconstrained robust accuracy.</li>
 *   <li>{@code local} ({@link io.lipwatch.estimator.certify.LocalCertifier}): interval bounds of every pre-activation on
 *       B(x, ε), slopes fixed where a neuron cannot switch (0 or 1 for ReLU, the slope range on the interval for other
 *       monotone activations), and the margin's Lipschitz constant on the ball from the slope-restricted layers, carried
 *       backward as a box and as a ball (exact centre, L2 radius through proven norms of the rows of unstable neurons);
 *       the second hidden layer's intervals go through W₁W₁ᵀ (MLPs too wide for those Gram matrices keep the row-wise
 *       enclosures). The class documentation states the soundness argument step by step.</li>
 *   <li>{@code local} on CNNs and DAGs ({@link io.lipwatch.estimator.certify.GraphLocalCertifier}): the same argument
 *       op by op over the network's DAG — convolutions through |K| (the positive/negative kernel split), batch norm,
 *       max pooling (secant Jacobians: convex combinations over the window entries that can win on the ball), sums and
 *       concatenations — with the backward enclosure carried through every op's transpose.</li>
 * </ul>
 * A sample is certified at ε when it is correctly classified and every margin clears its bound times ε; each method
 * keeps what the weaker one proved, so local ⊇ pairwise ⊇ global sample by sample. Everything is budgeted
 * ({@link io.lipwatch.estimator.certify.Certifier}): what a budget stops is reported uncertified by the stronger method
 * (it keeps the weaker method's result), never guessed.
 *
 * <p>{@link io.lipwatch.estimator.certify.CertificateCheck} checks at run time that no attack of the same run broke a
 * certified sample; a violation is an internal error (logged, counted, a warning of the estimate).
 */
package io.lipwatch.estimator.certify;
