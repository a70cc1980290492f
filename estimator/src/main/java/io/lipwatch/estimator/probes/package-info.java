/**
 * Probe sets and the adversarial-probe engine.
 *
 * <p>{@link io.lipwatch.estimator.probes.ProbeRunner} measures, on a labelled {@link io.lipwatch.estimator.probes.ProbeSet},
 * clean and Gaussian-noise accuracy, FGSM and PGD robust accuracy (L∞ and L2), certified accuracy from a sound Lipschitz
 * bound of the logit map, and the median minimal L2 adversarial perturbation. Everything is batched over ND4J arrays
 * built once, deterministic for a seed, and bounded by a time budget. Attack figures are empirical (upper estimates of
 * the true robust accuracy); certified figures are guarantees only when the Lipschitz bound given is sound.
 *
 * <p>Two details matter for honest numbers (both are slips of the CLIP reference code): PGD projects onto the ε-ball
 * (not the sphere), and every sample keeps being updated; a sample counts as broken as soon as any iterate is
 * misclassified.
 */
package io.lipwatch.estimator.probes;
