/**
 * The Lipschitz engine: L2→L2 bounds of a network's logit map, computed on the engine's own network representation
 * ({@link io.lipwatch.estimator.network}); the engine knows nothing of snapshots or model formats.
 *
 * <p>{@link io.lipwatch.estimator.bounds.LipschitzEngine} runs every {@link io.lipwatch.estimator.bounds.BoundMethod}
 * registered in {@link io.lipwatch.estimator.bounds.BoundMethods} that the configuration asks for and that applies to
 * the network, each isolated (a throw or a non-finite value becomes a warning naming the method) and budgeted. Methods
 * (the {@code method} field of the estimate): {@code autolip} (sound; exact SVD for dense layers, for convolutions the
 * min of the proven Fourier-symbol bound on the padded torus, the Hölder bound and an explicit SVD when small),
 * {@code autolip-power} (estimate, warm-started), {@code seqlip} (sound, exact enumeration) and {@code seqlip-greedy}
 * (estimate), {@code lipbound} (sound, Araujo et al. with a proven grid correction), {@code gram} (sound),
 * {@code eclipse-fast} (sound, MLPs; {@link io.lipwatch.estimator.bounds.eclipse}), {@code lipsdp-*}
 * ({@link io.lipwatch.estimator.bounds.lipsdp}), {@code input-bnb} (sound, ≤ 4 inputs: branch and bound over the input
 * space, {@link io.lipwatch.estimator.bounds.InputBranchAndBound}), and the lower bounds {@code clip-pairs}, {@code gradient-norm},
 * {@code pair-search} and {@code region-max} (ratios of real pairs). Upper bounds see consecutive affine maps composed
 * ({@link io.lipwatch.estimator.bounds.AffineFusion}).
 *
 * <p>Soundness is about the exact real-arithmetic network with the stored parameters. Floating-point proofs per
 * ingredient: a dense layer's norm (SVD or Gram value) is proven by {@link io.lipwatch.estimator.linalg.NormCertificate}
 * (verified Cholesky of s²I − WᵀW with the assembly's and the factorisation's rounding accounted for; it fails for s
 * below the true norm); batch-norm scales are raised by 8u; AutoLip's sums and products are rounded upward
 * (nextUp after each operation); the Hölder bound carries an n·ε allowance for its sums of non-negative terms. A
 * convolution's norm ({@link io.lipwatch.estimator.linalg.ConvSpectral}): on a torus that embeds the zero-padded layer
 * the circular operator's norm is the max over the torus frequencies of σ_max of the c_out×c_in symbol; each computed
 * symbol entry is within β·Σ_t|K_t| of the exact one (twiddle and dot-product rounding), so ‖K̂ − K̃‖₂ ≤ e, and every
 * frequency's ‖K̃‖₂ ≤ s − e is proven by the same Cholesky on the symbol's real embedding [[Re, −Im], [Im, Re]];
 * a strided one is bounded by its polyphase blocks (the aliased symbols stacked per reduced frequency) the same way.
 * LipBound's grid values carry the same entry error (Minkowski per row). SeqLip ({@code seqlip}): the SVD factors are
 * the stored doubles, their residual W − LR is bounded and its effect added (telescoping), each activation pattern's
 * bracket norm is proven by the Cholesky (rank-one updates' rounding bounded), and the product is rounded upward.
 *
 * <p>The output layer's activation is never in the bounded map: bounds are of the logits z, whose margins the probes
 * certify. Estimates stopped by their budget carry {@code converged: false}.
 */
package io.lipwatch.estimator.bounds;
