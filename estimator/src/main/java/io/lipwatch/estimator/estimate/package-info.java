/** The estimate record (schema: src/main/resources/schema/estimate.schema.json), the JSON form shared by Kafka, the CLI and the monitor. */
package io.lipwatch.estimator.estimate;
