/**
 * Shared fixtures for the monitor's tests and the CLI's (published in the monitor test-jar): the monitor topology
 * under the test driver, and the real pipeline (embedded broker, estimator and monitor streams) for integration tests.
 */
package io.lipwatch.monitor.testing;
