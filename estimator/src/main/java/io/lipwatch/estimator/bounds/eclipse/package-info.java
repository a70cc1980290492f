/**
 * ECLipsE-Fast (Xu &amp; Sivaranjani, NeurIPS 2024): the LipSDP-Neuron matrix of an MLP with slope-restricted
 * activations is block tridiagonal; choosing one multiplier per layer in closed form from the previous layer's Schur
 * complement gives a feasible point layer by layer, hence a sound upper bound in a few dense matrix products. The
 * closed form has one free ratio θ (½ in the paper); a few values are tried on small networks and the least proven
 * bound is reported. Small networks also get one multiplier per neuron (LipSDP-Neuron's own feasible set, αβ term of
 * the slope constraints included), found by a log-barrier method ({@code NeuronRefinement}) on the dense matrix
 * ({@code NeuronLmi}); with those it meets LipSDP-Neuron on the networks measured.
 *
 * <p>The numbers are not trusted as computed: the same pass is a floating-point Cholesky factorisation of the whole
 * (scaled, shifted) LMI matrix, and a posteriori row-wise error bounds prove the exact matrix positive semidefinite
 * (see {@link io.lipwatch.estimator.bounds.eclipse.EclipseFastBound}); the per-neuron point is checked on the
 * assembled dense LMI by the LipSDP certificate. A failed check is reported, never a number.
 */
package io.lipwatch.estimator.bounds.eclipse;
