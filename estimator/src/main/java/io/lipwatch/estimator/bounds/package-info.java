/**
 * The Lipschitz engine: L2→L2 bounds of a network's logit map, computed on the engine's own network representation
 * ({@link io.lipwatch.estimator.network}); the engine knows nothing of snapshots or model formats.
 *
 * <p>{@link io.lipwatch.estimator.bounds.LipschitzEngine} runs every {@link io.lipwatch.estimator.bounds.BoundMethod}
 * registered in {@link io.lipwatch.estimator.bounds.BoundMethods} that the configuration asks for and that applies to
 * the network, each isolated (a throw or a non-finite value becomes a warning naming the method) and budgeted. Methods
 * (the {@code method} field of the estimate): {@code autolip} (sound; exact SVD for dense layers, for convolutions the
 * min of an FFT/Gram-iteration bound on the padded torus, the Hölder bound and an explicit SVD when small),
 * {@code autolip-power} (estimate, warm-started), {@code seqlip} (sound, exact enumeration) and {@code seqlip-greedy}
 * (estimate), {@code lipbound} (sound, Araujo et al. with a proven grid correction), {@code gram} (sound),
 * {@code eclipse-fast} (sound, MLPs; {@link io.lipwatch.estimator.bounds.eclipse}), {@code lipsdp-*}
 * ({@link io.lipwatch.estimator.bounds.lipsdp}), and the lower bounds {@code clip-pairs}, {@code gradient-norm},
 * {@code pair-search} and {@code region-max} (ratios of real pairs). Upper bounds see consecutive affine maps composed
 * ({@link io.lipwatch.estimator.bounds.AffineFusion}).
 *
 * <p>Soundness is about the exact real-arithmetic network with the stored parameters. Floating-point proofs per
 * ingredient: a dense layer's norm (SVD or Gram value) is proven by {@link io.lipwatch.estimator.linalg.NormCertificate}
 * (verified Cholesky of s²I − WᵀW with the assembly's and the factorisation's rounding accounted for; it fails for s
 * below the true norm); batch-norm scales are raised by 8u; AutoLip's sums and products are rounded upward
 * (nextUp after each operation); the Hölder bound carries an n·ε allowance for its sums of non-negative terms. Still
 * resting on a stated allowance: the FFT Gram bound of convolutions and SeqLip's per-pattern Gram bounds.
 *
 * <p>The output layer's activation is never in the bounded map: bounds are of the logits z, whose margins the probes
 * certify. Estimates stopped by their budget carry {@code converged: false}.
 */
package io.lipwatch.estimator.bounds;
