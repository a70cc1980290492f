/**
 * The Lipschitz engine (design section 5): a DL4J model as a chain of operators, sound upper bounds, labelled
 * estimates and lower bounds of the L2 Lipschitz constant of the logit map. Pure library code, no Kafka.
 */
package io.lipwatch.estimator.bounds;
