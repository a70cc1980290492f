package io.lipwatch.trainer.regularize;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A term of the training loss that depends on the parameters only, not on the minibatch: LipBound's C·Σ log LipBound
 * over conv kernels, or the proximal coupling (ρ/2)‖W − W̄ + Y/ρ‖² of the ADMM W-step. Called once per optimiser
 * step, inside the step's workspace: an implementation must not keep references to arrays it creates there.
 */
@FunctionalInterface
public interface ParameterPenalty {
  /**
   * Adds the gradient of the term to {@code grad} (flattened like {@code net.params()}) and returns the term's value.
   *
   * @param weight the trainer's current regularisation weight (λ, µ or C after the discrepancy principle)
   */
  double addGradient(MultiLayerNetwork net, INDArray grad, double weight);
}
