/**
 * Regularised training. {@link io.lipwatch.trainer.regularize.RegularizedTrainer} runs the training loop (stacked
 * forward/backward passes through the network's own layers and updater, the discrepancy principle after each epoch);
 * the regularisers are peers beside it: {@link io.lipwatch.trainer.regularize.ClipPenalty} (CLIP, Bungert et al. 2021:
 * input pairs, their ascent, the penalty's logit gradient), {@link io.lipwatch.trainer.regularize.WeightDecay},
 * {@link io.lipwatch.trainer.regularize.LipBoundPenalty} (Araujo et al. 2021: C·Σ log LipBound over the convolution
 * kernels) and {@link io.lipwatch.trainer.regularize.AdmmLipSdp} (Lipschitz-bounded training by ADMM with LipSDP,
 * Pauli et al. 2020). Data-independent terms plug in through {@link io.lipwatch.trainer.regularize.ParameterPenalty};
 * the trainer builds the regulariser from the {@link io.lipwatch.trainer.regularize.Regularization}, so every path
 * that trains (retraining loop, offline {@code train --out}, reproduce) gets it. A float32 dense-ReLU MLP, the
 * trainer's own architecture, takes the buffered step whether regularised or not: {@code DenseStepKernel} (sgemm into
 * kept buffers, the elementwise work in Java), {@code FusedAdam} (DL4J's Adam as one pass over float arrays) and
 * {@code ElementBlocks} (that Java work in two blocks on two cores).
 */
package io.lipwatch.trainer.regularize;
