/** Training data: MNIST-style IDX directories, Fashion-MNIST from Debian by default. */
package io.lipwatch.trainer.data;
