/**
 * Linear algebra for the bounds, free of any network notion: linear operators (dense, sparse, diagonal, 2-D
 * convolution) with products by vectors and their transposes, spectral norms (SVD, warm-started power iteration,
 * Gram iteration), convolution norms through the Fourier symbol ({@link io.lipwatch.estimator.linalg.ConvSpectral}),
 * the per-operator norm choice used by AutoLip ({@link io.lipwatch.estimator.linalg.OperatorNorms}), and
 * {@link io.lipwatch.estimator.linalg.NormCertificate}, which proves a floating-point value is at least a matrix's
 * spectral norm (a verified Cholesky factorisation of s²I − AᵀA). {@link io.lipwatch.estimator.linalg.NativeDense}
 * runs a dense matrix's products in OpenBLAS for searches that repeat them, and
 * {@link io.lipwatch.estimator.linalg.SingleThreadBlas} holds OpenBLAS to the calling thread while several Java threads
 * make BLAS calls at once. {@link io.lipwatch.estimator.linalg.CoreHelpers} are helper threads for short parallel
 * sections, each kept off its caller's core ({@link io.lipwatch.estimator.linalg.CpuAffinity}).
 */
package io.lipwatch.estimator.linalg;
