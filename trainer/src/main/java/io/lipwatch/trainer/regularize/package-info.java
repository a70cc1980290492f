/**
 * Regularised training: CLIP (Bungert et al. 2021) with an exact penalty gradient, weight decay, and the discrepancy
 * principle that moves their weight after each epoch.
 */
package io.lipwatch.trainer.regularize;
