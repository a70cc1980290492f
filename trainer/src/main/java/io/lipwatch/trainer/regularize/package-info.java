/**
 * Regularised training: CLIP (Bungert et al. 2021) with an exact penalty gradient, weight decay, LipBound
 * (Araujo et al. 2021: C·Σ log LipBound over the convolution kernels, {@link io.lipwatch.trainer.regularize.LipBoundPenalty}),
 * and the discrepancy principle that moves their weight (λ, µ or C) after each epoch. Data-independent terms plug in
 * through {@link io.lipwatch.trainer.regularize.ParameterPenalty}; the trainer builds LipBound's itself from the
 * {@link io.lipwatch.trainer.regularize.Regularization}, so every path that trains (retraining loop, offline
 * {@code train --out}, reproduce) gets it. Lipschitz-bounded training by ADMM with
 * LipSDP (Pauli et al. 2020): {@link io.lipwatch.trainer.regularize.AdmmLipSdp}.
 */
package io.lipwatch.trainer.regularize;
