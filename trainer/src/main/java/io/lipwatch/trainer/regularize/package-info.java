/**
 * Regularised training: CLIP (Bungert et al. 2021) with an exact penalty gradient, weight decay, and the discrepancy
 * principle that moves their weight after each epoch; data-independent loss terms ({@link
 * io.lipwatch.trainer.regularize.ParameterPenalty}); Lipschitz-bounded training by ADMM with LipSDP (Pauli et al. 2020,
 * {@link io.lipwatch.trainer.regularize.AdmmLipSdp}).
 */
package io.lipwatch.trainer.regularize;
