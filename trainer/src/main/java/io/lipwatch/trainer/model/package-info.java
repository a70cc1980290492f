/** Network architectures the trainer builds. */
package io.lipwatch.trainer.model;
