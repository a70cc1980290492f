/** Training benchmarks: a CLIP epoch against a plain epoch at the same batch size. */
package io.lipwatch.trainer.bench;
