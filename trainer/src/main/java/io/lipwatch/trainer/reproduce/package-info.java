/** Reproductions of the CLIP paper: Table 1 on Fashion-MNIST (CPU-sized) and the 1-D regression figure. */
package io.lipwatch.trainer.reproduce;
