package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The direct sgemm gives exactly ND4J's gemm: plain arrays, views at an offset, every transpose, and the fallback. */
class RowMajorGemmTest {
  private static INDArray random(long seed, long... shape) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.randn(DataType.FLOAT, shape);
  }

  private static void assertSame(INDArray a, boolean ta, INDArray b, boolean tb, long m, long n) {
    INDArray want = Nd4j.create(DataType.FLOAT, m, n);
    Nd4j.gemm(a, b, want, ta, tb, 1.0, 0.0);
    INDArray got = Nd4j.create(DataType.FLOAT, m, n);
    RowMajorGemm.gemm(a, ta, b, tb, got);
    assertArrayEquals(want.data().asFloat(), got.data().asFloat(), "transA " + ta + " transB " + tb);
  }

  @Test
  void everyTransposeOfPlainArrays() {
    INDArray a = random(1, 37, 53);
    INDArray at = random(2, 53, 37);
    INDArray b = random(3, 53, 29);
    INDArray bt = random(4, 29, 53);
    assertSame(a, false, b, false, 37, 29);
    assertSame(a, false, bt, true, 37, 29);
    assertSame(at, true, b, false, 37, 29);
    assertSame(at, true, bt, true, 37, 29);
  }

  @Test
  void viewsAtAnOffsetAsTheTrainingStepUsesThem() {
    // a weight block reshaped from the middle of a flat parameter vector, and a block of rows of a batch
    INDArray flat = random(5, 1, 7 + 40 * 30 + 11);
    INDArray w = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(7, 7 + 40 * 30)).reshape('c', 40, 30);
    INDArray batch = random(6, 64, 40);
    INDArray rows = batch.get(NDArrayIndex.interval(10, 50), NDArrayIndex.all());
    assertSame(rows, false, w, false, 40, 30);
    INDArray x = random(7, 64, 30);
    assertSame(batch, true, x, false, 40, 30);
    INDArray out = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(7, 7 + 40 * 30)).reshape('c', 40, 30);
    INDArray want = Nd4j.create(DataType.FLOAT, 40, 30);
    Nd4j.gemm(batch, x, want, true, false, 1.0, 0.0);
    RowMajorGemm.gemm(batch, true, x, false, out);
    assertArrayEquals(want.data().asFloat(), out.dup().data().asFloat(), "written into a view at an offset");
  }

  @Test
  void columnMajorOperandsFallBackToNd4j() {
    INDArray a = random(8, 20, 30).dup('f');
    INDArray b = random(9, 30, 10);
    assertSame(a, false, b, false, 20, 10);
  }

  @Test
  void mismatchedShapesAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> RowMajorGemm.gemm(random(1, 5, 6), false, random(2, 7, 3), false, Nd4j.create(DataType.FLOAT, 5, 3)));
  }
}
