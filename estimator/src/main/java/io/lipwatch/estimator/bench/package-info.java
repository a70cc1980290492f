/**
 * Side-by-side benchmarks ({@code lipwatch bench ... --compare}): the PyTorch reference process that runs the same
 * work as lipwatch on the same weights and inputs, the .npy files that hand them over, repeat statistics and the
 * comparison table.
 */
package io.lipwatch.estimator.bench;
