/** The periodic retraining loop that publishes a snapshot per cycle, with provenance headers and metrics. */
package io.lipwatch.trainer.loop;
