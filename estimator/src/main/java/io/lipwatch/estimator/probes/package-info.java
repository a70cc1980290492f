/** Probe sets (labelled inputs, their binary codec and IDX reader) and the adversarial-probe engine (design section 6). */
package io.lipwatch.estimator.probes;
