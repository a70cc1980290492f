/**
 * Probe sets and the adversarial-probe engine.
 *
 * <p>{@link io.lipwatch.estimator.probes.ProbeRunner} runs the probe phases (one class each, listed in {@code ProbePhases};
 * attack algorithms behind the {@code Attack} interface, listed in {@code AttackAlgorithms}). It measures, on a labelled {@link io.lipwatch.estimator.probes.ProbeSet},
 * clean and Gaussian-noise accuracy, FGSM and PGD robust accuracy (L∞ and L2), certified accuracy from a sound Lipschitz
 * bound of the logit map, and the median minimal L2 adversarial perturbation. Everything is batched over ND4J arrays
 * built once, deterministic for a seed, and bounded by a time budget. Attack figures are empirical (upper estimates of
 * the true robust accuracy); certified figures are guarantees only when the Lipschitz bound given is sound.
 *
 * <p>Details that matter for honest numbers: PGD projects exactly onto the ε-ball ∩ the input box (not the sphere, and
 * not ball-then-box, which shortens steps along the box faces where image pixels sit); every sample keeps being
 * updated; a sample counts as broken as soon as any iterate of any loss ({@link io.lipwatch.estimator.probes.LogitLoss}:
 * cross-entropy, CW margin, DLR) or restart is misclassified. The default PGD runs cross-entropy and DLR with APGD's
 * step schedule ({@link io.lipwatch.estimator.probes.Apgd}); {@code AttackSpec.plain()} is the fixed-step cross-entropy
 * PGD of the papers. Gradient paths that carry only cross-entropy run only that loss, and the estimate lists the losses
 * that ran.
 */
package io.lipwatch.estimator.probes;
