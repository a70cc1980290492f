/** Shared test fixtures (models, snapshot headers) and requirements (tools, datasets), published in the test-jar. */
package io.lipwatch.estimator.testing;
