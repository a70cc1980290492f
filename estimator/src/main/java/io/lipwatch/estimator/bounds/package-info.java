/**
 * The Lipschitz engine: L2→L2 bounds of a DL4J network's logit map.
 *
 * <p>{@link io.lipwatch.estimator.bounds.NetworkExtractor} turns a MultiLayerNetwork or ComputationGraph into an
 * {@link io.lipwatch.estimator.bounds.ExtractedNetwork}: a small DAG of {@link io.lipwatch.estimator.bounds.Op}s whose
 * linear parts are {@link io.lipwatch.estimator.bounds.LinearOperator}s (dense, NCHW convolution with stride, zero
 * padding and dilation, batch-norm diagonal, average pooling), plus activations, max pooling (constant √(max window
 * multiplicity)), element-wise sums and concatenations. Anything else is refused by name
 * ({@link io.lipwatch.estimator.bounds.UnsupportedLayerException}). The DAG evaluates forward passes and
 * Jacobian products in plain doubles; tests check them against DL4J's {@code output()}.
 *
 * <p>Methods (the {@code method} field of the estimate): {@code autolip} (sound; exact SVD for dense layers, for
 * convolutions the min of an FFT/Gram-iteration bound on the padded torus, the Hölder bound and an explicit SVD when
 * small), {@code autolip-power} (estimate, warm-started), {@code seqlip} (sound, exact enumeration) and
 * {@code seqlip-greedy} (estimate), {@code lipbound} (sound, Araujo et al. with a proven grid correction),
 * {@code gram} (sound), {@code eclipse-fast} (sound, MLPs; {@link io.lipwatch.estimator.bounds.eclipse}), and the lower
 * bounds {@code clip-pairs}, {@code gradient-norm}, {@code pair-search} and {@code region-max} (ratios of real pairs).
 * Upper bounds see consecutive affine maps composed ({@link io.lipwatch.estimator.bounds.AffineFusion}).
 *
 * <p>Soundness is about the exact real-arithmetic network with the stored parameters. Floating-point proofs per
 * ingredient: a dense layer's norm (SVD or Gram value) is proven by {@link io.lipwatch.estimator.bounds.NormCertificate}
 * (verified Cholesky of s²I − WᵀW with the assembly's and the factorisation's rounding accounted for; it fails for s
 * below the true norm); batch-norm scales are raised by 8u; AutoLip's sums and products are rounded upward
 * (nextUp after each operation); the Hölder bound carries an n·ε allowance for its sums of non-negative terms. Still
 * resting on a stated allowance: the FFT Gram bound of convolutions and SeqLip's per-pattern Gram bounds.
 *
 * <p>The output layer's activation is never in the bounded map: bounds are of the logits z, whose margins the probes
 * certify. Estimates stopped by their budget carry {@code converged: false}.
 * {@link io.lipwatch.estimator.bounds.BoundsBenchmark} measures the engine on an MLP and a small CNN.
 */
package io.lipwatch.estimator.bounds;
