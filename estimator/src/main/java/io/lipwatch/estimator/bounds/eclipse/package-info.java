/**
 * ECLipsE-Fast (Xu &amp; Sivaranjani, NeurIPS 2024): the LipSDP-Neuron matrix of an MLP with slope-restricted
 * activations is block tridiagonal; choosing one multiplier per layer in closed form from the previous layer's Schur
 * complement gives a feasible point layer by layer, hence a sound upper bound in a few dense matrix products. The
 * closed form has one free ratio θ (½ in the paper); a few values are tried on small networks and the least proven
 * bound is reported.
 *
 * <p>The numbers are not trusted as computed: the same pass is a floating-point Cholesky factorisation of the whole
 * (scaled, shifted) LMI matrix, and a posteriori row-wise error bounds prove the exact matrix positive semidefinite
 * (see {@link io.lipwatch.estimator.bounds.eclipse.EclipseFastBound}). A failed check is reported, never a number.
 */
package io.lipwatch.estimator.bounds.eclipse;
