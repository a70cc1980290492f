package io.lipwatch.estimator.format.onnx;

import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import onnx.OnnxMl.TensorProto;

/**
 * Decodes an untrusted {@code TensorProto}: the element count is the product of the dims in exact arithmetic and is
 * checked against the per-tensor limit before anything is allocated; raw data must be exactly count × element size
 * bytes, typed data exactly count values; external data is refused (a model never makes us open a path); non-finite
 * floating values are refused as non-finite weights.
 */
final class OnnxTensors {
  static final int FLOAT = 1;
  static final int INT32 = 6;
  static final int INT64 = 7;
  /** One byte per element in raw data (PyTorch's Dropout training_mode = false at opset 12+). */
  static final int BOOL = 9;
  static final int FLOAT16 = 10;
  static final int DOUBLE = 11;

  private OnnxTensors() {}

  /** Element count of {@code dims}, exactly; refused when a dim is negative or the count exceeds {@code maxElements}. */
  static long elementCount(String what, long[] dims, long maxElements) {
    if (dims.length > 8) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, what + " has rank " + dims.length + " (at most 8)");
    }
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, what + " has a negative dimension " + d);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new SnapshotRejectedException(RejectReason.TOO_LARGE, what + " has dims whose product overflows 64 bits");
      }
      if (n > maxElements) {
        // d > 0 here, and later dims cannot shrink a positive count unless one is 0: check that first
        boolean zero = false;
        for (long e : dims) {
          zero |= e == 0;
        }
        if (!zero) {
          throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
              what + " has more than " + maxElements + " elements (limit per tensor)");
        }
      }
    }
    return n;
  }

  static OnnxTensor decode(TensorProto t, String what, long maxElements) {
    if (t.getExternalDataCount() > 0 || t.getDataLocationValue() != 0) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
          what + " stores its data outside the model (external data is refused: export with the weights inside)");
    }
    if (t.hasSegment()) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, what + " is a segment of a tensor (not supported)");
    }
    long[] dims = new long[t.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
    }
    int n = (int) elementCount(what, dims, Math.min(maxElements, Integer.MAX_VALUE - 8));
    int type = t.getDataType();
    boolean raw = !t.getRawData().isEmpty();
    switch (type) {
      case FLOAT, DOUBLE, FLOAT16 -> {
        double[] v = new double[0];
        int size = type == FLOAT ? 4 : type == DOUBLE ? 8 : 2;
        if (raw) {
          ByteBuffer b = rawBuffer(t, what, n, size);
          v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = type == FLOAT ? b.getFloat() : type == DOUBLE ? b.getDouble() : halfToFloat(b.getShort());
          }
        } else if (type == FLOAT) {
          requireCount(what, t.getFloatDataCount(), n);
          v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = t.getFloatData(i);
          }
        } else if (type == DOUBLE) {
          requireCount(what, t.getDoubleDataCount(), n);
          v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = t.getDoubleData(i);
          }
        } else {
          requireCount(what, t.getInt32DataCount(), n);
          v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = halfToFloat((short) t.getInt32Data(i));
          }
        }
        for (int i = 0; i < n; i++) {
          if (!Double.isFinite(v[i])) {
            throw new SnapshotRejectedException(RejectReason.NON_FINITE_WEIGHTS, what + " holds a non-finite value ("
                + v[i] + ") at index " + i + " of " + n + ": a diverged training run?");
          }
        }
        return OnnxTensor.ofValues(dims, v);
      }
      case INT64, INT32 -> {
        long[] v = new long[n];
        if (raw) {
          ByteBuffer b = rawBuffer(t, what, n, type == INT64 ? 8 : 4);
          for (int i = 0; i < n; i++) {
            v[i] = type == INT64 ? b.getLong() : b.getInt();
          }
        } else if (type == INT64) {
          requireCount(what, t.getInt64DataCount(), n);
          for (int i = 0; i < n; i++) {
            v[i] = t.getInt64Data(i);
          }
        } else {
          requireCount(what, t.getInt32DataCount(), n);
          for (int i = 0; i < n; i++) {
            v[i] = t.getInt32Data(i);
          }
        }
        return OnnxTensor.ofInts(dims, v);
      }
      case BOOL -> {
        long[] v = new long[n];
        if (raw) {
          ByteBuffer b = rawBuffer(t, what, n, 1);
          for (int i = 0; i < n; i++) {
            v[i] = b.get();
          }
        } else {
          requireCount(what, t.getInt32DataCount(), n);
          for (int i = 0; i < n; i++) {
            v[i] = t.getInt32Data(i);
          }
        }
        for (int i = 0; i < n; i++) {
          if (v[i] != 0 && v[i] != 1) {
            throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH, what + " holds " + v[i] + " in a bool tensor");
          }
        }
        return OnnxTensor.ofInts(dims, v);
      }
      default -> throw new SnapshotRejectedException(RejectReason.UNSUPPORTED_OP,
          what + " has element type " + type + " (supported: float, float16, double, int32, int64, bool)");
    }
  }

  private static ByteBuffer rawBuffer(TensorProto t, String what, int n, int size) {
    long expected = (long) n * size;
    if (t.getRawData().size() != expected) {
      throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH, what + " has " + t.getRawData().size()
          + " bytes of raw data, its dims need exactly " + expected);
    }
    return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void requireCount(String what, int have, int n) {
    if (have != n) {
      throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH, what + " has " + have + " values, its dims need exactly " + n);
    }
  }

  /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits >>> 15) << 31;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant / 1024f / 16384f; // subnormal: mant · 2^-24
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
