/** The estimate record (design section 4), the JSON form shared by Kafka, the CLI and the monitor. */
package io.lipwatch.estimator.estimate;
