package io.lipwatch.estimator.format.onnx;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import io.lipwatch.estimator.linalg.SparseMatrix;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.ValueInfoProto;

/**
 * Converts a parsed ONNX graph into an {@link ExtractedNetwork}, node by node in the file's order (which ONNX requires
 * to be topological: a node reading a value not yet defined is refused, so cycles cannot pass). Values are either
 * constants (initializers, {@code Constant} nodes, and everything computed only from them, e.g. the
 * Shape→Gather→Unsqueeze→Concat chains that feed a Reshape) or activations of one example. Shape computations are
 * folded exactly; the batch dimension is a marker that may only flow into a Reshape's first dimension. Anything the
 * engine cannot represent exactly is refused with {@code unsupported-op}, never approximated.
 */
public final class OnnxGraphConverter {
  /** Opsets of the default domain this converter knows (attribute sets differ across opsets). */
  static final int MIN_OPSET = 7;
  static final int MAX_OPSET = 17;
  /** Largest graph accepted (nodes). */
  static final int MAX_NODES = 20_000;
  /** The batch size in folded shape tensors: it may only end up as a Reshape's first dimension. */
  static final long BATCH = Long.MIN_VALUE + 7;

  private static final Map<String, Set<String>> ATTRIBUTES = Map.ofEntries(
      Map.entry("Constant", Set.of("value", "value_float", "value_floats", "value_int", "value_ints")),
      Map.entry("Identity", Set.of()), Map.entry("Dropout", Set.of("ratio", "is_test", "seed")),
      Map.entry("Gemm", Set.of("alpha", "beta", "transA", "transB", "broadcast")), Map.entry("MatMul", Set.of()),
      Map.entry("Add", Set.of("broadcast", "axis")), Map.entry("Sub", Set.of("broadcast", "axis")),
      Map.entry("Mul", Set.of("broadcast", "axis")), Map.entry("Div", Set.of("broadcast", "axis")),
      Map.entry("Conv", Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")),
      Map.entry("BatchNormalization", Set.of("epsilon", "momentum", "spatial", "training_mode", "is_test")),
      Map.entry("Relu", Set.of()), Map.entry("LeakyRelu", Set.of("alpha")), Map.entry("Sigmoid", Set.of()),
      Map.entry("Tanh", Set.of()), Map.entry("Elu", Set.of("alpha")), Map.entry("Softplus", Set.of()),
      Map.entry("Softsign", Set.of()), Map.entry("HardSigmoid", Set.of("alpha", "beta")),
      Map.entry("Clip", Set.of("min", "max")),
      Map.entry("MaxPool", Set.of("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides")),
      Map.entry("AveragePool", Set.of("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides")),
      Map.entry("GlobalAveragePool", Set.of()), Map.entry("GlobalMaxPool", Set.of()),
      Map.entry("ReduceMean", Set.of("axes", "keepdims")), Map.entry("Flatten", Set.of("axis")),
      Map.entry("Reshape", Set.of("allowzero")), Map.entry("Shape", Set.of()), Map.entry("Gather", Set.of("axis")),
      Map.entry("Unsqueeze", Set.of("axes")), Map.entry("Squeeze", Set.of("axes")), Map.entry("Concat", Set.of("axis")),
      Map.entry("Cast", Set.of("to", "saturate")), Map.entry("Softmax", Set.of("axis")),
      Map.entry("LogSoftmax", Set.of("axis")), Map.entry("Pad", Set.of("mode", "pads", "value")),
      Map.entry("Transpose", Set.of("perm")), Map.entry("ConstantOfShape", Set.of("value")),
      Map.entry("Slice", Set.of("starts", "ends", "axes")));

  /** A value of the graph: a constant or one activation (node -1 is the network input). */
  private sealed interface Value {}

  private record Const(OnnxTensor t) implements Value {}

  private record Act(int node, Layout layout) implements Value {}

  private final SnapshotLimits limits;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Value> values = new HashMap<>();
  private final Map<String, Integer> consumers = new HashMap<>();
  /** Affine nodes whose bias a following Add may absorb, with the ONNX value each produced. */
  private final Map<Integer, String> foldable = new HashMap<>();
  private String outputName;
  private long fixedBatch = -1;
  private int opset;
  private long parameters;

  private OnnxGraphConverter(SnapshotLimits limits) {
    this.limits = limits;
  }

  /** The engine's network for a parsed model (see {@link OnnxModelReader} for the byte-level checks). */
  public static ExtractedNetwork convert(ModelProto model, SnapshotLimits limits) {
    return new OnnxGraphConverter(limits).run(model);
  }

  private ExtractedNetwork run(ModelProto model) {
    opset = defaultOpset(model);
    GraphProto g = model.getGraph();
    if (g.getNodeCount() > MAX_NODES) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "graph has " + g.getNodeCount() + " nodes (limit " + MAX_NODES + ")");
    }
    if (g.getSparseInitializerCount() > 0) {
      throw new UnsupportedOpException("(sparse initializer)", g.getSparseInitializer(0).getValues().getName(), "sparse initializers");
    }
    // initializers: counted against the parameter limits before any is decoded
    long declared = 0;
    for (TensorProto t : g.getInitializerList()) {
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      declared = Math.addExact(declared, OnnxTensors.elementCount("initializer '" + t.getName() + "'", dims, limits.maxLayerParameters()));
      if (declared > limits.maxParameters()) {
        throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "initializers hold more than " + limits.maxParameters() + " values");
      }
    }
    if (declared > limits.memoryBudgetBytes() / SnapshotLimits.BYTES_PER_PARAMETER) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, declared + " parameters need more than the memory budget of "
          + limits.memoryBudgetBytes() + " bytes");
    }
    for (TensorProto t : g.getInitializerList()) {
      define(t.getName(), new Const(OnnxTensors.decode(t, "initializer '" + t.getName() + "'", limits.maxLayerParameters())));
      if (!isIntegerType(t.getDataType())) {
        parameters += elementCount(t);
      }
    }
    // the one network input: a graph input that is not an initializer
    ValueInfoProto input = null;
    for (ValueInfoProto vi : g.getInputList()) {
      if (!values.containsKey(vi.getName())) {
        if (input != null) {
          throw new UnsupportedOpException("(graph)", "inputs", "only one network input is supported (" + input.getName()
              + ", " + vi.getName() + ", ...)");
        }
        input = vi;
      }
    }
    if (input == null) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "the graph has no input");
    }
    if (g.getOutputCount() != 1) {
      throw new UnsupportedOpException("(graph)", "outputs", "only one network output is supported, the graph has " + g.getOutputCount());
    }
    outputName = g.getOutput(0).getName();
    Layout in = inputLayout(input);
    values.put(input.getName(), new Act(-1, in));
    for (NodeProto n : g.getNodeList()) {
      for (String i : n.getInputList()) {
        consumers.merge(i, 1, Integer::sum);
      }
    }
    consumers.merge(outputName, 1, Integer::sum);
    for (NodeProto n : g.getNodeList()) {
      node(n);
    }
    Value out = values.get(outputName);
    if (!(out instanceof Act a) || a.node() < 0) {
      throw new UnsupportedOpException("(graph)", outputName, "the output is not computed from the input by any layer");
    }
    if (a.node() != nodes.size() - 1) {
      throw new UnsupportedOpException("(graph)", outputName, "nodes not on the path to the output are not supported");
    }
    if (nodes.stream().noneMatch(x -> x.linear() != null)) {
      throw new UnsupportedOpException("(graph)", outputName, "no layer with weights");
    }
    return new ExtractedNetwork("ONNX", List.copyOf(nodes), in.dims(), in.size(), nodes.get(nodes.size() - 1).outDim(),
        g.getNodeCount(), parameters);
  }

  private static boolean isIntegerType(int t) {
    return t == OnnxTensors.INT32 || t == OnnxTensors.INT64 || t == OnnxTensors.BOOL;
  }

  private static long elementCount(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return n;
  }

  private static int defaultOpset(ModelProto m) {
    int v = -1;
    for (var o : m.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        v = (int) Math.min(Integer.MAX_VALUE, o.getVersion());
      }
    }
    if (v < MIN_OPSET || v > MAX_OPSET) {
      throw new UnsupportedOpException("(model)", "opset_import", "opset " + v + " of the default domain (supported: "
          + MIN_OPSET + " to " + MAX_OPSET + ")");
    }
    return v;
  }

  private Layout inputLayout(ValueInfoProto vi) {
    if (!vi.getType().hasTensorType()) {
      throw new UnsupportedOpException("(graph)", vi.getName(), "the input is not a tensor");
    }
    int elem = vi.getType().getTensorType().getElemType();
    if (elem != OnnxTensors.FLOAT && elem != OnnxTensors.DOUBLE && elem != OnnxTensors.FLOAT16) {
      throw new UnsupportedOpException("(graph)", vi.getName(), "input element type " + elem + " (need a floating type)");
    }
    TensorShapeProto shape = vi.getType().getTensorType().getShape();
    int rank = shape.getDimCount();
    if (rank != 2 && rank != 4) {
      throw new UnsupportedOpException("(graph)", vi.getName(), "input of rank " + rank + " (need [N, features] or [N, C, H, W])");
    }
    var b = shape.getDim(0);
    if (b.hasDimValue()) {
      if (b.getDimValue() < 1) {
        throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "input batch dimension " + b.getDimValue());
      }
      fixedBatch = b.getDimValue();
    }
    long[] d = new long[rank - 1];
    for (int i = 1; i < rank; i++) {
      var di = shape.getDim(i);
      if (!di.hasDimValue() || di.getDimValue() < 1) {
        throw new UnsupportedOpException("(graph)", vi.getName(), "input dimension " + i + " is not a fixed positive size");
      }
      d[i - 1] = di.getDimValue();
    }
    checkSize("input", d);
    return rank == 2 ? Layout.ff((int) d[0]) : Layout.cnn((int) d[0], (int) d[1], (int) d[2]);
  }

  /** Activations are bounded like layers: their size is computed exactly and capped. */
  private void checkSize(String what, long... dims) {
    OnnxTensors.elementCount(what, dims, limits.maxLayerParameters());
  }

  private void define(String name, Value v) {
    if (name.isEmpty()) {
      return;
    }
    if (values.containsKey(name)) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "value '" + name + "' is defined twice");
    }
    values.put(name, v);
  }

  // ---------------------------------------------------------------- nodes

  private void node(NodeProto n) {
    String op = n.getOpType();
    String name = n.getName().isEmpty() ? (n.getOutputCount() > 0 ? n.getOutput(0) : op) : n.getName();
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw new UnsupportedOpException(op, name, "domain '" + n.getDomain() + "'");
    }
    Set<String> allowed = ATTRIBUTES.get(op);
    if (allowed == null) {
      throw new UnsupportedOpException(op, name, "the engine has no exact representation of this operator");
    }
    for (AttributeProto a : n.getAttributeList()) {
      if (!allowed.contains(a.getName())) {
        throw new UnsupportedOpException(op, name, "attribute '" + a.getName() + "'");
      }
    }
    List<Value> ins = new ArrayList<>();
    for (String i : n.getInputList()) {
      if (i.isEmpty()) {
        ins.add(null);
        continue;
      }
      Value v = values.get(i);
      if (v == null) {
        throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "node '" + name + "' (" + op + ") reads '" + i
            + "' before it is defined: the graph must be a DAG listed in topological order");
      }
      ins.add(v);
    }
    Ctx c = new Ctx(n, op, name, ins);
    Value out = switch (op) {
      case "Constant" -> constant(c);
      case "Identity" -> c.in(0);
      case "Dropout" -> dropout(c);
      case "Gemm" -> gemm(c);
      case "MatMul" -> matmul(c);
      case "Add", "Sub", "Mul", "Div" -> arithmetic(c);
      case "Conv" -> conv(c);
      case "BatchNormalization" -> batchNorm(c);
      case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Softplus", "Softsign", "HardSigmoid", "Clip" -> activation(c);
      case "MaxPool", "AveragePool" -> pool(c);
      case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(c, op.equals("GlobalMaxPool"));
      case "ReduceMean" -> reduceMean(c);
      case "Flatten" -> flatten(c);
      case "Reshape" -> reshape(c);
      case "Shape" -> shape(c);
      case "Gather" -> gather(c);
      case "Unsqueeze", "Squeeze" -> squeeze(c, op.equals("Unsqueeze"));
      case "Concat" -> concat(c);
      case "Cast" -> cast(c);
      case "Softmax", "LogSoftmax" -> softmax(c);
      case "Pad" -> pad(c);
      case "Transpose" -> new Const(ConstantFolds.transpose(c.cst(0), c.ints("perm", null), c::refuse));
      case "ConstantOfShape" -> constantOfShape(c);
      case "Slice" -> slice(c);
      default -> throw new UnsupportedOpException(op, name, "the engine has no exact representation of this operator");
    };
    if (n.getOutputCount() < 1) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "node '" + name + "' has no output");
    }
    define(n.getOutput(0), out);
    for (int k = 1; k < n.getOutputCount(); k++) {
      String extra = n.getOutput(k);
      if (!extra.isEmpty() && consumers.containsKey(extra)) {
        throw new UnsupportedOpException(op, name, "its output " + k + " ('" + extra + "') is used");
      }
    }
  }

  /** One node being converted: its inputs and attribute accessors. */
  private final class Ctx {
    final NodeProto n;
    final String op;
    final String name;
    final List<Value> ins;

    Ctx(NodeProto n, String op, String name, List<Value> ins) {
      this.n = n;
      this.op = op;
      this.name = name;
      this.ins = ins;
    }

    UnsupportedOpException refuse(String why) {
      return new UnsupportedOpException(op, name, why);
    }

    Value in(int i) {
      if (i >= ins.size() || ins.get(i) == null) {
        throw refuse("input " + i + " is missing");
      }
      return ins.get(i);
    }

    boolean has(int i) {
      return i < ins.size() && ins.get(i) != null;
    }

    Act act(int i) {
      if (in(i) instanceof Act a) {
        return a;
      }
      throw refuse("input " + i + " must depend on the network input");
    }

    OnnxTensor cst(int i) {
      if (in(i) instanceof Const k) {
        return k.t();
      }
      throw refuse("input " + i + " must be a constant (weights), not computed from the network input");
    }

    AttributeProto attr(String key) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.getName().equals(key)) {
          return a;
        }
      }
      return null;
    }

    long i(String key, long dflt) {
      AttributeProto a = attr(key);
      return a == null ? dflt : a.getI();
    }

    double f(String key, double dflt) {
      AttributeProto a = attr(key);
      return a == null ? dflt : a.getF();
    }

    String s(String key, String dflt) {
      AttributeProto a = attr(key);
      return a == null ? dflt : a.getS().toStringUtf8();
    }

    long[] ints(String key, long[] dflt) {
      AttributeProto a = attr(key);
      if (a == null) {
        return dflt;
      }
      if (a.getIntsCount() > 16) {
        throw refuse("attribute '" + key + "' has " + a.getIntsCount() + " values");
      }
      return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    int add(String suffix, String type, int[] inputs, Op op, int outDim) {
      nodes.add(new Node(suffix == null ? name : name + "/" + suffix, type, inputs, op, outDim));
      return nodes.size() - 1;
    }
  }

  // ---------------------------------------------------------------- constants and shapes

  private Value constant(Ctx c) {
    AttributeProto a = c.n.getAttributeCount() == 1 ? c.n.getAttribute(0) : null;
    if (a == null) {
      throw c.refuse("needs exactly one value attribute");
    }
    return switch (a.getName()) {
      case "value" -> new Const(OnnxTensors.decode(a.getT(), "constant '" + c.name + "'", limits.maxLayerParameters()));
      case "value_float" -> new Const(OnnxTensor.ofValues(new long[0], finite(c, new double[] {a.getF()})));
      case "value_floats" -> new Const(OnnxTensor.ofValues(new long[] {a.getFloatsCount()},
          finite(c, a.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray())));
      case "value_int" -> new Const(OnnxTensor.ofInts(new long[0], new long[] {a.getI()}));
      case "value_ints" -> new Const(OnnxTensor.ofInts(new long[] {a.getIntsCount()},
          a.getIntsList().stream().mapToLong(Long::longValue).toArray()));
      default -> throw c.refuse("attribute '" + a.getName() + "'");
    };
  }

  private static double[] finite(Ctx c, double[] v) {
    for (double d : v) {
      if (!Double.isFinite(d)) {
        throw new SnapshotRejectedException(RejectReason.NON_FINITE_WEIGHTS, "constant '" + c.name + "' holds " + d);
      }
    }
    return v;
  }

  private Value shape(Ctx c) {
    Value v = c.in(0);
    if (v instanceof Const k) {
      return new Const(OnnxTensor.ofInts(new long[] {k.t().rank()}, k.t().dims().clone()));
    }
    long[] d = ((Act) v).layout().dims();
    long[] s = new long[d.length + 1];
    s[0] = BATCH;
    System.arraycopy(d, 0, s, 1, d.length);
    return new Const(OnnxTensor.ofInts(new long[] {s.length}, s));
  }

  private Value gather(Ctx c) {
    OnnxTensor data = c.cst(0);
    OnnxTensor idx = c.cst(1);
    if (c.i("axis", 0) != 0 || data.rank() != 1 || idx.rank() > 1 || !idx.isInteger()) {
      throw c.refuse("only gathers of integers from a 1-D constant along axis 0 are folded");
    }
    long[] out = new long[idx.size()];
    double[] outF = new double[idx.size()];
    for (int k = 0; k < out.length; k++) {
      long j = idx.ints()[k];
      if (j < 0) {
        j += data.size();
      }
      if (j < 0 || j >= data.size()) {
        throw c.refuse("index " + idx.ints()[k] + " out of range");
      }
      if (data.isInteger()) {
        out[k] = data.ints()[(int) j];
      } else {
        outF[k] = data.values()[(int) j];
      }
    }
    long[] dims = idx.dims().clone();
    return new Const(data.isInteger() ? OnnxTensor.ofInts(dims, out) : OnnxTensor.ofValues(dims, outF));
  }

  private long[] axesOf(Ctx c) {
    if (c.has(1)) {
      long[] a = c.cst(1).asLongs();
      if (a == null) {
        throw c.refuse("axes are not integers");
      }
      return a;
    }
    return c.ints("axes", null);
  }

  private Value squeeze(Ctx c, boolean unsqueeze) {
    long[] axes = axesOf(c);
    Value v = c.in(0);
    if (v instanceof Act a) {
      // Squeeze of a [N, C, 1, 1] activation (after global pooling) is a flattening: nothing to compute
      Layout l = a.layout();
      if (!unsqueeze && l.spatial() && l.h() == 1 && l.w() == 1 && axes != null && normalised(axes, 4).equals(Set.of(2, 3))) {
        return new Act(a.node(), Layout.ff(l.c()));
      }
      throw c.refuse((unsqueeze ? "unsqueeze" : "squeeze") + " of an activation " + l + " with axes " + Arrays.toString(axes));
    }
    OnnxTensor t = ((Const) v).t();
    List<Long> dims = new ArrayList<>(Arrays.stream(t.dims()).boxed().toList());
    if (unsqueeze) {
      if (axes == null) {
        throw c.refuse("unsqueeze without axes");
      }
      int rank = dims.size() + axes.length;
      for (int ax : normalised(axes, rank).stream().sorted().toList()) {
        dims.add(ax, 1L);
      }
    } else {
      if (axes == null) {
        dims.removeIf(d -> d == 1);
      } else {
        List<Integer> sorted = new ArrayList<>(normalised(axes, dims.size()));
        sorted.sort(null);
        for (int k = sorted.size() - 1; k >= 0; k--) {
          if (dims.get(sorted.get(k)) != 1) {
            throw c.refuse("squeezed axis " + sorted.get(k) + " is not of size 1");
          }
          dims.remove((int) sorted.get(k));
        }
      }
    }
    long[] nd = dims.stream().mapToLong(Long::longValue).toArray();
    return new Const(new OnnxTensor(nd, t.values(), t.ints()));
  }

  private static Set<Integer> normalised(long[] axes, int rank) {
    Set<Integer> out = new java.util.HashSet<>();
    for (long a : axes) {
      long x = a < 0 ? a + rank : a;
      if (x < 0 || x >= rank) {
        return Set.of(-1);
      }
      out.add((int) x);
    }
    return out;
  }

  private Value cast(Ctx c) {
    long to = c.i("to", -1);
    Value v = c.in(0);
    if (v instanceof Act a) {
      if (to == OnnxTensors.FLOAT || to == OnnxTensors.DOUBLE) {
        return a;
      }
      throw c.refuse("cast of an activation to type " + to);
    }
    OnnxTensor t = ((Const) v).t();
    if (to == OnnxTensors.INT64 || to == OnnxTensors.INT32) {
      long[] l = t.asLongs();
      if (l == null) {
        throw c.refuse("cast of non-integral values to an integer type");
      }
      return new Const(OnnxTensor.ofInts(t.dims(), l));
    }
    if (to == OnnxTensors.FLOAT || to == OnnxTensors.DOUBLE) {
      if (t.isInteger()) {
        for (long x : t.ints()) {
          if (x == BATCH) {
            throw c.refuse("the batch size used as a number");
          }
        }
      }
      return new Const(OnnxTensor.ofValues(t.dims(), t.asDoubles()));
    }
    throw c.refuse("cast to type " + to);
  }

  // ---------------------------------------------------------------- layers

  private Value dropout(Ctx c) {
    if (c.has(2)) {
      OnnxTensor mode = c.cst(2);
      if (mode.size() != 1 || mode.get(0) != 0) {
        throw c.refuse("training_mode is on");
      }
    }
    return c.in(0);
  }

  private Value gemm(Ctx c) {
    Act a = c.act(0);
    OnnxTensor b = c.cst(1);
    if (c.i("transA", 0) != 0 || a.layout().spatial() || b.rank() != 2) {
      throw c.refuse("only x·B (or x·Bᵀ) with a flat x and a 2-D constant B");
    }
    double alpha = c.f("alpha", 1);
    double beta = c.f("beta", 1);
    boolean transB = c.i("transB", 0) != 0;
    int k = a.layout().size();
    int rows = (int) (transB ? b.dims()[0] : b.dims()[1]);
    int cols = (int) (transB ? b.dims()[1] : b.dims()[0]);
    if (cols != k) {
      throw c.refuse("weight " + Arrays.toString(b.dims()) + " does not match input " + a.layout());
    }
    double[] m = new double[rows * cols];
    double[] w = b.asDoubles();
    for (int o = 0; o < rows; o++) {
      for (int i = 0; i < cols; i++) {
        m[o * cols + i] = alpha * (transB ? w[o * cols + i] : w[i * rows + o]);
      }
    }
    double[] bias = null;
    if (c.has(2)) {
      bias = broadcast(c, c.cst(2), Layout.ff(rows));
      for (int o = 0; o < rows; o++) {
        bias[o] *= beta;
      }
    }
    int node = c.add(null, "Gemm", new int[] {a.node()}, new Op.Affine(new DenseMatrix(rows, cols, m), bias), rows);
    foldable.put(node, c.n.getOutput(0));
    return new Act(node, Layout.ff(rows));
  }

  private Value matmul(Ctx c) {
    Act a = c.act(0);
    OnnxTensor b = c.cst(1);
    if (a.layout().spatial() || b.rank() != 2 || b.dims()[0] != a.layout().size()) {
      throw c.refuse("only x·W with a flat x " + a.layout() + " and a 2-D constant W (got " + Arrays.toString(b.dims()) + ")");
    }
    int cols = (int) b.dims()[0];
    int rows = (int) b.dims()[1];
    double[] w = b.asDoubles();
    double[] m = new double[rows * cols];
    for (int i = 0; i < cols; i++) {
      for (int o = 0; o < rows; o++) {
        m[o * cols + i] = w[i * rows + o];
      }
    }
    int node = c.add(null, "MatMul", new int[] {a.node()}, new Op.Affine(new DenseMatrix(rows, cols, m), null), rows);
    foldable.put(node, c.n.getOutput(0));
    return new Act(node, Layout.ff(rows));
  }

  /** A constant broadcast (numpy rules) to one example of {@code l}; the batch axis must be 1 or absent. */
  private static double[] broadcast(Ctx c, OnnxTensor t, Layout l) {
    long[] target = l.spatial() ? new long[] {1, l.c(), l.h(), l.w()} : new long[] {1, l.c()};
    long[] d = t.dims();
    if (d.length > target.length) {
      throw c.refuse("constant " + Arrays.toString(d) + " does not broadcast to " + l);
    }
    long[] full = new long[target.length];
    Arrays.fill(full, 1);
    System.arraycopy(d, 0, full, target.length - d.length, d.length);
    for (int k = 0; k < target.length; k++) {
      if (full[k] != 1 && full[k] != target[k]) {
        throw c.refuse("constant " + Arrays.toString(d) + " does not broadcast to " + l);
      }
    }
    double[] src = t.asDoubles();
    if (t.isInteger()) {
      for (long x : t.ints()) {
        if (x == BATCH) {
          throw c.refuse("the batch size used as a number");
        }
      }
    }
    double[] out = new double[l.size()];
    int ch = l.c();
    int hh = l.h();
    int ww = l.w();
    for (int a = 0; a < ch; a++) {
      for (int y = 0; y < hh; y++) {
        for (int x = 0; x < ww; x++) {
          long idx;
          if (l.spatial()) {
            idx = ((full[1] == 1 ? 0 : a) * full[2] + (full[2] == 1 ? 0 : y)) * full[3] + (full[3] == 1 ? 0 : x);
          } else {
            idx = full[1] == 1 ? 0 : a;
          }
          out[(a * hh + y) * ww + x] = src[(int) idx];
        }
      }
    }
    return out;
  }

  private Value arithmetic(Ctx c) {
    Value x = c.in(0);
    Value y = c.in(1);
    if (x instanceof Const a && y instanceof Const b) {
      return new Const(foldArithmetic(c, a.t(), b.t()));
    }
    if (x instanceof Act a && y instanceof Act b) {
      if (!a.layout().equals(b.layout())) {
        throw c.refuse("inputs of different shapes " + a.layout() + " and " + b.layout());
      }
      if (c.op.equals("Add") || c.op.equals("Sub")) {
        double[] coeffs = {1, c.op.equals("Add") ? 1 : -1};
        return new Act(c.add(null, c.op, new int[] {a.node(), b.node()}, new Op.Sum(coeffs), a.layout().size()), a.layout());
      }
      throw c.refuse("product or quotient of two activations (not Lipschitz with a fixed constant)");
    }
    boolean actFirst = x instanceof Act;
    Act a = (Act) (actFirst ? x : y);
    double[] k = broadcast(c, ((Const) (actFirst ? y : x)).t(), a.layout());
    int n = a.layout().size();
    switch (c.op) {
      case "Add" -> {
        return addBias(c, a, k, 1.0);
      }
      case "Sub" -> {
        if (actFirst) {
          for (int i = 0; i < n; i++) {
            k[i] = -k[i];
          }
          return addBias(c, a, k, 1.0);
        }
        return addBias(c, a, k, -1.0);
      }
      case "Mul" -> {
        return new Act(c.add(null, "Mul", new int[] {a.node()}, new Op.Affine(new DiagonalOperator(k), null), n), a.layout());
      }
      default -> {
        if (!actFirst) {
          throw c.refuse("a constant divided by an activation");
        }
        for (int i = 0; i < n; i++) {
          if (k[i] == 0) {
            throw c.refuse("division by zero");
          }
          k[i] = 1 / k[i];
        }
        return new Act(c.add(null, "Div", new int[] {a.node()}, new Op.Affine(new DiagonalOperator(k), null), n), a.layout());
      }
    }
  }

  /**
   * sign·x + bias. The exporters' MatMul+Add pair becomes one affine node: the bias is folded into the node that made x
   * when that node is the last one, is an affine map from this converter and x is read by nothing else.
   */
  private Value addBias(Ctx c, Act a, double[] bias, double sign) {
    int n = a.layout().size();
    String xName = c.n.getInput(c.ins.get(0) instanceof Act ? 0 : 1);
    if (sign == 1.0 && a.node() == nodes.size() - 1 && xName.equals(foldable.get(a.node())) && consumers.getOrDefault(xName, 0) == 1
        && !xName.equals(outputName)) {
      Node prev = nodes.get(a.node());
      Op.Affine af = (Op.Affine) prev.op();
      double[] b = af.bias() == null ? new double[n] : af.bias().clone();
      for (int i = 0; i < n; i++) {
        b[i] += bias[i];
      }
      nodes.set(a.node(), new Node(prev.name(), prev.type() + "+Add", prev.inputs(), new Op.Affine(af.linear(), b), prev.outDim()));
      return a;
    }
    double[] d = new double[n];
    Arrays.fill(d, sign);
    return new Act(c.add(null, c.op, new int[] {a.node()}, new Op.Affine(new DiagonalOperator(d), bias), n), a.layout());
  }

  private OnnxTensor foldArithmetic(Ctx c, OnnxTensor a, OnnxTensor b) {
    boolean ints = a.isInteger() && b.isInteger();
    int n = Math.max(a.size(), b.size());
    if (!(a.size() == b.size() && Arrays.equals(a.dims(), b.dims())) && a.size() != 1 && b.size() != 1) {
      throw c.refuse("constant arithmetic on shapes " + Arrays.toString(a.dims()) + " and " + Arrays.toString(b.dims()));
    }
    // numpy broadcasting: of two one-element tensors the result has the larger rank (a scalar minus a [1] is a [1])
    long[] dims = a.size() != b.size() ? (a.size() > b.size() ? a.dims() : b.dims())
        : a.rank() >= b.rank() ? a.dims() : b.dims();
    long[] li = new long[n];
    double[] ld = new double[n];
    for (int i = 0; i < n; i++) {
      double x = a.get(a.size() == 1 ? 0 : i);
      double y = b.get(b.size() == 1 ? 0 : i);
      if ((a.isInteger() && a.ints()[a.size() == 1 ? 0 : i] == BATCH) || (b.isInteger() && b.ints()[b.size() == 1 ? 0 : i] == BATCH)) {
        throw c.refuse("arithmetic on the batch size");
      }
      if (ints) {
        long p = a.ints()[a.size() == 1 ? 0 : i];
        long q = b.ints()[b.size() == 1 ? 0 : i];
        try {
          li[i] = switch (c.op) {
            case "Add" -> Math.addExact(p, q);
            case "Sub" -> Math.subtractExact(p, q);
            case "Mul" -> Math.multiplyExact(p, q);
            default -> {
              if (q == 0) {
                throw c.refuse("integer division by zero");
              }
              yield Math.floorDiv(p, q) == p / q ? p / q : p / q; // ONNX Div on integers truncates
            }
          };
        } catch (ArithmeticException e) {
          throw c.refuse("integer overflow");
        }
      } else {
        ld[i] = switch (c.op) {
          case "Add" -> x + y;
          case "Sub" -> x - y;
          case "Mul" -> x * y;
          default -> x / y;
        };
        if (!Double.isFinite(ld[i])) {
          throw new SnapshotRejectedException(RejectReason.NON_FINITE_WEIGHTS, "constant arithmetic in node '" + c.name + "' gives " + ld[i]);
        }
      }
    }
    return ints ? OnnxTensor.ofInts(dims, li) : OnnxTensor.ofValues(dims, ld);
  }

  private Value conv(Ctx c) {
    Act a = c.act(0);
    OnnxTensor w = c.cst(1);
    Layout l = a.layout();
    if (!l.spatial() || w.rank() != 4) {
      throw c.refuse("only 2-D convolutions on [N, C, H, W] activations");
    }
    int m = (int) w.dims()[0];
    int cg = (int) w.dims()[1];
    int kh = (int) w.dims()[2];
    int kw = (int) w.dims()[3];
    long group = c.i("group", 1);
    if (group < 1 || group > l.c() || m % group != 0 || cg * group != l.c()) {
      throw c.refuse("weight " + Arrays.toString(w.dims()) + " with group " + group + " does not match input " + l);
    }
    long[] ks = c.ints("kernel_shape", null);
    if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
      throw c.refuse("kernel_shape " + Arrays.toString(ks) + " differs from the weight");
    }
    long[] st = pair(c, "strides", 1);
    long[] dl = pair(c, "dilations", 1);
    int[] g = geometry(c, l, kh, kw, st, dl, false);
    // a grouped convolution is the full convolution with a block-diagonal kernel (zeros between groups): exact
    long full = OnnxTensors.elementCount("node '" + c.name + "' kernel", new long[] {m, l.c(), kh, kw}, limits.maxLayerParameters());
    double[] src = w.asDoubles();
    double[] kernel = new double[(int) full];
    int perGroupOut = (int) (m / group);
    for (int o = 0; o < m; o++) {
      int grp = o / perGroupOut;
      for (int i = 0; i < cg; i++) {
        int ci = grp * cg + i;
        System.arraycopy(src, ((o * cg + i) * kh) * kw, kernel, ((o * l.c() + ci) * kh) * kw, kh * kw);
      }
    }
    checkSize("node '" + c.name + "' output", m, g[0], g[1]);
    Conv2dOperator op = new Conv2dOperator(l.c(), l.h(), l.w(), m, g[0], g[1], kh, kw, (int) st[0], (int) st[1], (int) dl[0],
        (int) dl[1], g[2], g[3], kernel);
    double[] bias = null;
    if (c.has(2)) {
      OnnxTensor b = c.cst(2);
      if (b.size() != m) {
        throw c.refuse("bias of " + b.size() + " values for " + m + " output channels");
      }
      bias = new double[op.outDim()];
      int plane = g[0] * g[1];
      for (int o = 0; o < m; o++) {
        Arrays.fill(bias, o * plane, (o + 1) * plane, b.get(o));
      }
    }
    int node = c.add(null, "Conv", new int[] {a.node()}, new Op.Affine(op, bias), op.outDim());
    foldable.put(node, c.n.getOutput(0));
    return new Act(node, Layout.cnn(m, g[0], g[1]));
  }

  private static long[] pair(Ctx c, String key, long dflt) {
    long[] v = c.ints(key, new long[] {dflt, dflt});
    if (v.length != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1024 || v[1] > 1024) {
      throw c.refuse("attribute '" + key + "' " + Arrays.toString(v) + " (need two values in 1..1024)");
    }
    return v;
  }

  /** {outH, outW, padTop, padLeft} as ONNX defines them (explicit pads or auto_pad; floor or ceil mode). */
  private static int[] geometry(Ctx c, Layout l, int kh, int kw, long[] st, long[] dl, boolean ceil) {
    if (kh < 1 || kw < 1 || kh > 1024 || kw > 1024) {
      throw c.refuse("kernel " + kh + "x" + kw);
    }
    long ekh = (kh - 1) * dl[0] + 1;
    long ekw = (kw - 1) * dl[1] + 1;
    String auto = c.s("auto_pad", "NOTSET");
    long pt;
    long pl;
    long pb;
    long pr;
    switch (auto) {
      case "NOTSET" -> {
        long[] p = c.ints("pads", new long[] {0, 0, 0, 0});
        if (p.length != 4) {
          throw c.refuse("pads " + Arrays.toString(p));
        }
        pt = p[0];
        pl = p[1];
        pb = p[2];
        pr = p[3];
      }
      case "VALID" -> {
        pt = pl = pb = pr = 0;
      }
      case "SAME_UPPER", "SAME_LOWER" -> {
        long oh = (l.h() + st[0] - 1) / st[0];
        long ow = (l.w() + st[1] - 1) / st[1];
        long th = Math.max(0, (oh - 1) * st[0] + ekh - l.h());
        long tw = Math.max(0, (ow - 1) * st[1] + ekw - l.w());
        boolean upper = auto.equals("SAME_UPPER");
        pt = upper ? th / 2 : th - th / 2;
        pl = upper ? tw / 2 : tw - tw / 2;
        pb = th - pt;
        pr = tw - pl;
      }
      default -> throw c.refuse("auto_pad " + auto);
    }
    for (long p : new long[] {pt, pl, pb, pr}) {
      if (p < 0 || p > 1024) {
        throw c.refuse("padding " + p);
      }
    }
    long oh = out(l.h(), pt + pb, ekh, st[0], ceil, pt);
    long ow = out(l.w(), pl + pr, ekw, st[1], ceil, pl);
    if (oh < 1 || ow < 1) {
      throw c.refuse("kernel larger than the padded input " + l);
    }
    return new int[] {(int) oh, (int) ow, (int) pt, (int) pl};
  }

  private static long out(long in, long pads, long ek, long s, boolean ceil, long padBegin) {
    long span = in + pads - ek;
    if (span < 0) {
      return 0;
    }
    long o = (ceil ? (span + s - 1) / s : span / s) + 1;
    // ceil mode: the last window must start inside the input or the leading padding (PyTorch's and ONNX's rule)
    if (ceil && (o - 1) * s >= in + padBegin) {
      o--;
    }
    return o;
  }

  private Value batchNorm(Ctx c) {
    Act a = c.act(0);
    if (c.i("training_mode", 0) != 0 || c.i("spatial", 1) != 1) {
      throw c.refuse("training mode or per-activation (spatial = 0) statistics");
    }
    Layout l = a.layout();
    double eps = c.f("epsilon", 1e-5);
    double[][] p = new double[4][];
    for (int k = 0; k < 4; k++) {
      OnnxTensor t = c.cst(k + 1);
      if (t.size() != l.c()) {
        throw c.refuse("parameter " + (k + 1) + " has " + t.size() + " values for " + l.c() + " channels");
      }
      p[k] = t.asDoubles();
    }
    int plane = l.h() * l.w();
    double[] diag = new double[l.size()];
    double[] bias = new double[l.size()];
    for (int ch = 0; ch < l.c(); ch++) {
      if (!(p[3][ch] + eps > 0)) {
        throw c.refuse("variance + epsilon is not positive in channel " + ch);
      }
      // y = γ(x − μ)/√(σ² + ε) + β: a diagonal map and a shift; its norm is max |γ/√(σ² + ε)|
      double s = p[0][ch] / Math.sqrt(p[3][ch] + eps);
      double t = p[1][ch] - s * p[2][ch];
      Arrays.fill(diag, ch * plane, (ch + 1) * plane, s);
      Arrays.fill(bias, ch * plane, (ch + 1) * plane, t);
    }
    return new Act(c.add(null, "BatchNormalization", new int[] {a.node()}, new Op.Affine(new DiagonalOperator(diag), bias), l.size()), l);
  }

  private Value activation(Ctx c) {
    Act a = c.act(0);
    ActivationSpec spec = switch (c.op) {
      case "Relu" -> new ActivationSpec("relu", 0, 1, true, 0.0);
      case "LeakyRelu" -> {
        double al = c.f("alpha", 0.01);
        yield new ActivationSpec("leakyrelu", Math.min(al, 1), Math.max(al, 1), true, al);
      }
      case "Sigmoid" -> new ActivationSpec("sigmoid", 0, 0.25, true);
      case "Tanh" -> new ActivationSpec("tanh", 0, 1, true);
      case "Elu" -> {
        double al = c.f("alpha", 1.0);
        // slopes are 1 (x > 0) and α·eˣ ∈ (0, α] or [α, 0) (x < 0)
        yield new ActivationSpec("elu", Math.min(0, al), Math.max(1, al), true, al);
      }
      case "Softplus" -> new ActivationSpec("softplus", 0, 1, true);
      case "Softsign" -> new ActivationSpec("softsign", 0, 1, true);
      case "HardSigmoid" -> {
        // the engine's own hard sigmoid is DL4J's: max(0, min(1, 0.2x + 0.5)); others (PyTorch's is α = 1/6) below
        if ((float) c.f("alpha", 0.2) != 0.2f || (float) c.f("beta", 0.5) != 0.5f) {
          yield null;
        }
        yield new ActivationSpec("hardsigmoid", 0, 0.2, true);
      }
      default -> clip(c);
    };
    if (c.n.getOutput(0).equals(outputName)) {
      // as for DL4J models: the output activation is never part of the bounded map; bounds and certified margins are
      // of the logits z, and the decision is argmax z
      return a;
    }
    Layout l = a.layout();
    if (spec == null && c.op.equals("HardSigmoid")) {
      return hardSigmoid(c, a);
    }
    if (spec == null) {
      // Relu then Clip(max 6), PyTorch's ReLU6: the Relu node becomes a relu6 node
      Node relu = nodes.get(a.node());
      nodes.set(a.node(), new Node(relu.name() + "+" + c.name, "Activation(relu6)", relu.inputs(),
          new Op.Activation(new ActivationSpec("relu6", 0, 1, true)), relu.outDim()));
      return a;
    }
    return new Act(c.add(spec.name(), "Activation(" + spec.name() + ")", new int[] {a.node()}, new Op.Activation(spec), l.size()), l);
  }

  /**
   * max(0, min(1, αx + β)) = relu6(6αx + 6β) / 6 exactly: a diagonal affine map, relu6 and a diagonal scaling, so
   * every slope stays exact (AutoLip sees 6α · 1 · 1/6 = α).
   */
  private Value hardSigmoid(Ctx c, Act a) {
    double al = c.f("alpha", 0.2);
    double be = c.f("beta", 0.5);
    if (!(al > 0) || !Double.isFinite(al) || !Double.isFinite(be)) {
      throw c.refuse("hard sigmoid with alpha " + al + ", beta " + be + " (need a finite alpha > 0)");
    }
    Layout l = a.layout();
    int n = l.size();
    double[] d = new double[n];
    double[] b = new double[n];
    Arrays.fill(d, 6 * al);
    Arrays.fill(b, 6 * be);
    int shift = c.add("scale-in", "HardSigmoid", new int[] {a.node()}, new Op.Affine(new DiagonalOperator(d), b), n);
    int r6 = c.add("relu6", "Activation(relu6)", new int[] {shift}, new Op.Activation(new ActivationSpec("relu6", 0, 1, true)), n);
    double[] s = new double[n];
    Arrays.fill(s, 1.0 / 6);
    return new Act(c.add("scale-out", "HardSigmoid", new int[] {r6}, new Op.Affine(new DiagonalOperator(s), null), n), l);
  }

  /** The activation a Clip is, or null for Clip(max 6) directly on a Relu read by nothing else (the two are relu6). */
  private ActivationSpec clip(Ctx c) {
    double lo;
    double hi;
    if (opset < 11) {
      lo = c.f("min", -Float.MAX_VALUE);
      hi = c.f("max", Float.MAX_VALUE);
    } else {
      lo = c.has(1) ? scalar(c, c.cst(1)) : Double.NEGATIVE_INFINITY;
      hi = c.has(2) ? scalar(c, c.cst(2)) : Double.POSITIVE_INFINITY;
    }
    boolean noMax = hi >= Float.MAX_VALUE;
    boolean noMin = lo <= -Float.MAX_VALUE;
    if (noMin && hi == 6 && afterLoneRelu(c)) {
      return null;
    }
    if (lo == 0 && hi == 6) {
      return new ActivationSpec("relu6", 0, 1, true);
    }
    if (lo == -1 && hi == 1) {
      return new ActivationSpec("hardtanh", 0, 1, true);
    }
    if (lo == 0 && noMax) {
      return new ActivationSpec("relu", 0, 1, true, 0.0);
    }
    throw c.refuse("clip to [" + lo + ", " + hi + "] (supported: [0, 6], [-1, 1], [0, ∞))");
  }

  /** The Clip's input is made by the last node, a plain Relu, and nothing else reads it. */
  private boolean afterLoneRelu(Ctx c) {
    Act a = c.act(0);
    String x = c.n.getInput(0);
    return a.node() >= 0 && a.node() == nodes.size() - 1 && nodes.get(a.node()).op() instanceof Op.Activation act
        && act.spec().name().equals("relu") && act.spec().param() == 0.0 && consumers.getOrDefault(x, 0) == 1
        && !x.equals(outputName);
  }

  private static double scalar(Ctx c, OnnxTensor t) {
    if (t.size() != 1) {
      throw c.refuse("expected a scalar, got " + t);
    }
    return t.get(0);
  }

  private Value pool(Ctx c) {
    Act a = c.act(0);
    Layout l = a.layout();
    boolean max = c.op.equals("MaxPool");
    long[] ks = c.ints("kernel_shape", null);
    if (!l.spatial() || ks == null || ks.length != 2) {
      throw c.refuse("only 2-D pooling on [N, C, H, W] activations with a kernel_shape");
    }
    if (max && c.i("storage_order", 0) != 0) {
      throw c.refuse("storage_order 1");
    }
    boolean ceil = c.i("ceil_mode", 0) != 0;
    boolean includePad = c.i("count_include_pad", 0) != 0;
    if (!max && ceil && includePad) {
      throw c.refuse("ceil_mode with count_include_pad");
    }
    long[] st = pair(c, "strides", 1);
    long[] dl = max ? pair(c, "dilations", 1) : new long[] {1, 1};
    int kh = (int) ks[0];
    int kw = (int) ks[1];
    int[] g = geometry(c, l, kh, kw, st, dl, ceil);
    int oh = g[0];
    int ow = g[1];
    checkSize("node '" + c.name + "' windows", l.c(), oh, ow, kh, kw);
    int plane = l.h() * l.w();
    int[][] windows = new int[l.c() * oh * ow][];
    double[] weight = new double[windows.length];
    int[] count = new int[l.size()];
    int[] buf = new int[kh * kw];
    for (int ch = 0; ch < l.c(); ch++) {
      for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
          int n = 0;
          for (int p = 0; p < kh; p++) {
            long ih = y * st[0] - g[2] + p * dl[0];
            for (int q = 0; q < kw; q++) {
              long iw = x * st[1] - g[3] + q * dl[1];
              if (ih >= 0 && ih < l.h() && iw >= 0 && iw < l.w()) {
                buf[n++] = (int) (ch * plane + ih * l.w() + iw);
              }
            }
          }
          if (n == 0) {
            throw c.refuse("a pooling window lies entirely in the padding");
          }
          int r = (ch * oh + y) * ow + x;
          windows[r] = Arrays.copyOf(buf, n);
          for (int t : windows[r]) {
            count[t]++;
          }
          weight[r] = 1.0 / (includePad ? kh * kw : n);
        }
      }
    }
    Layout out = Layout.cnn(l.c(), oh, ow);
    if (max) {
      int mult = Arrays.stream(count).max().orElse(1);
      return new Act(c.add(null, "MaxPool", new int[] {a.node()}, new Op.MaxPool(windows, l.size(), mult), out.size()), out);
    }
    SparseMatrix sm = SparseMatrix.ofWindows(windows, weight, l.size());
    return new Act(c.add(null, "AveragePool", new int[] {a.node()}, new Op.Affine(sm, null), out.size()), out);
  }

  private Value globalPool(Ctx c, boolean max) {
    Act a = c.act(0);
    return global(c, a, max, true);
  }

  private Value global(Ctx c, Act a, boolean max, boolean keepDims) {
    Layout l = a.layout();
    if (!l.spatial()) {
      throw c.refuse("global pooling of a flat activation");
    }
    int plane = l.h() * l.w();
    int[][] windows = new int[l.c()][plane];
    for (int ch = 0; ch < l.c(); ch++) {
      for (int t = 0; t < plane; t++) {
        windows[ch][t] = ch * plane + t;
      }
    }
    Layout out = keepDims ? Layout.cnn(l.c(), 1, 1) : Layout.ff(l.c());
    if (max) {
      return new Act(c.add(null, "GlobalMaxPool", new int[] {a.node()}, new Op.MaxPool(windows, l.size(), 1), l.c()), out);
    }
    double[] wv = new double[l.c()];
    Arrays.fill(wv, 1.0 / plane);
    LinearOperator m = SparseMatrix.ofWindows(windows, wv, l.size());
    return new Act(c.add(null, c.op, new int[] {a.node()}, new Op.Affine(m, null), l.c()), out);
  }

  private Value reduceMean(Ctx c) {
    Act a = c.act(0);
    long[] axes = c.ints("axes", null);
    if (!a.layout().spatial() || axes == null || !normalised(axes, 4).equals(Set.of(2, 3))) {
      throw c.refuse("only a mean over the spatial axes (2, 3) of [N, C, H, W]");
    }
    return global(c, a, false, c.i("keepdims", 1) != 0);
  }

  private Value flatten(Ctx c) {
    Value v = c.in(0);
    long axis = c.i("axis", 1);
    if (v instanceof Act a) {
      if (axis != 1) {
        throw c.refuse("flatten at axis " + axis + " (only 1 keeps the batch apart)");
      }
      return new Act(a.node(), Layout.ff(a.layout().size()));
    }
    throw c.refuse("flatten of a constant");
  }

  /** ConstantOfShape on a folded shape: a constant (the exporters' way of building Pad's pads at opset 11+). */
  private Value constantOfShape(Ctx c) {
    long[] shape = c.cst(0).asLongs();
    if (shape == null || c.cst(0).rank() != 1) {
      throw c.refuse("shape is not a 1-D integer tensor");
    }
    for (long d : shape) {
      if (d < 0 || d == BATCH) {
        throw c.refuse("dimension " + (d == BATCH ? "batch" : d));
      }
    }
    int n = (int) OnnxTensors.elementCount("node '" + c.name + "' output", shape, 4096);
    AttributeProto v = c.attr("value");
    OnnxTensor fill = v == null ? OnnxTensor.ofValues(new long[] {1}, new double[] {0})
        : OnnxTensors.decode(v.getT(), "node '" + c.name + "' value", 1);
    if (fill.size() != 1) {
      throw c.refuse("value of " + fill.size() + " elements");
    }
    if (fill.isInteger()) {
      long[] out = new long[n];
      Arrays.fill(out, fill.ints()[0]);
      return new Const(OnnxTensor.ofInts(shape.clone(), out));
    }
    double[] out = new double[n];
    Arrays.fill(out, fill.values()[0]);
    return new Const(OnnxTensor.ofValues(shape.clone(), out));
  }

  /** Slice of a constant (shape computations only; slicing activations is refused). */
  private Value slice(Ctx c) {
    OnnxTensor data = c.cst(0);
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (opset < 10) {
      starts = c.ints("starts", null);
      ends = c.ints("ends", null);
      axes = c.ints("axes", null);
    } else {
      starts = c.cst(1).asLongs();
      ends = c.cst(2).asLongs();
      axes = c.has(3) ? c.cst(3).asLongs() : null;
      steps = c.has(4) ? c.cst(4).asLongs() : null;
    }
    return new Const(ConstantFolds.slice(data, starts, ends, axes, steps, c::refuse));
  }

  private Value reshape(Ctx c) {
    if (c.in(0) instanceof Const k) {
      return new Const(ConstantFolds.reshape(k.t(), c.cst(1).asLongs(), c::refuse));
    }
    Act a = c.act(0);
    OnnxTensor s = c.cst(1);
    if (!s.isInteger() || s.rank() != 1 || s.size() < 2) {
      throw c.refuse("shape " + s + " (need a 1-D integer shape of rank ≥ 2)");
    }
    if (c.i("allowzero", 0) != 0) {
      throw c.refuse("allowzero");
    }
    long[] t = s.ints();
    long[] inDims = a.layout().dims();
    int size = a.layout().size();
    long first = t[0];
    boolean batchFirst = first == BATCH || first == 0 || (fixedBatch > 0 && first == fixedBatch);
    if (!batchFirst && first != -1) {
      throw c.refuse("first dimension " + first + " is not the batch");
    }
    long[] rest = new long[t.length - 1];
    int infer = -1;
    long known = 1;
    for (int k = 1; k < t.length; k++) {
      long d = t[k];
      if (d == BATCH) {
        throw c.refuse("the batch size in dimension " + k);
      }
      if (d == 0) {
        if (k - 1 >= inDims.length) {
          throw c.refuse("0 (copy) in dimension " + k + " beyond the input's rank");
        }
        d = inDims[k - 1];
      }
      if (d == -1) {
        if (infer >= 0 || first == -1) {
          throw c.refuse("more than one inferred dimension");
        }
        infer = k - 1;
        continue;
      }
      if (d < 1) {
        throw c.refuse("dimension " + d);
      }
      rest[k - 1] = d;
      try {
        known = Math.multiplyExact(known, d);
      } catch (ArithmeticException e) {
        throw c.refuse("dimensions overflow");
      }
    }
    if (infer >= 0) {
      if (known == 0 || size % known != 0) {
        throw c.refuse("cannot infer a dimension of " + size + " / " + known);
      }
      rest[infer] = size / known;
    } else if (known != size) {
      throw c.refuse("per-example size " + known + " differs from the input's " + size);
    }
    if (rest.length == 1) {
      return new Act(a.node(), Layout.ff((int) rest[0]));
    }
    if (rest.length == 3) {
      return new Act(a.node(), Layout.cnn((int) rest[0], (int) rest[1], (int) rest[2]));
    }
    throw c.refuse("result of rank " + (rest.length + 1) + " (need [N, n] or [N, C, H, W])");
  }

  private Value concat(Ctx c) {
    long axis = c.i("axis", Long.MIN_VALUE);
    boolean allConst = c.ins.stream().allMatch(v -> v instanceof Const);
    if (allConst) {
      if (axis != 0 && axis != -1) {
        throw c.refuse("constant concat along axis " + axis);
      }
      List<Long> li = new ArrayList<>();
      for (int k = 0; k < c.ins.size(); k++) {
        OnnxTensor t = c.cst(k);
        if (!t.isInteger() || t.rank() != 1) {
          throw c.refuse("constant concat of non-integer or non-1-D tensors");
        }
        for (long x : t.ints()) {
          li.add(x);
        }
        if (li.size() > 64) {
          throw c.refuse("constant concat of more than 64 values");
        }
      }
      return new Const(OnnxTensor.ofInts(new long[] {li.size()}, li.stream().mapToLong(Long::longValue).toArray()));
    }
    int[] idx = new int[c.ins.size()];
    Layout first = c.act(0).layout();
    int channels = 0;
    long rank = first.spatial() ? 4 : 2;
    if (axis != 1 && axis != 1 - rank) {
      throw c.refuse("concat of activations along axis " + axis + " (only channels/features)");
    }
    for (int k = 0; k < idx.length; k++) {
      Act a = c.act(k);
      Layout l = a.layout();
      if (l.spatial() != first.spatial() || l.h() != first.h() || l.w() != first.w()) {
        throw c.refuse("inputs of incompatible shapes " + first + " and " + l);
      }
      channels += l.c();
      idx[k] = a.node();
    }
    Layout out = first.spatial() ? Layout.cnn(channels, first.h(), first.w()) : Layout.ff(channels);
    return new Act(c.add(null, "Concat", idx, new Op.Concat(), out.size()), out);
  }

  /**
   * Zero padding (nn.ZeroPad2d, or what PyTorch puts before an average pooling): all-zero pads are the identity, zero
   * padding of H and W a selection matrix (norm 1). Other modes, values, cropping and padding of N or C are refused.
   */
  private Value pad(Ctx c) {
    Act a = c.act(0);
    if (!c.s("mode", "constant").equals("constant")) {
      throw c.refuse("mode '" + c.s("mode", "constant") + "' (only constant zero padding)");
    }
    long[] pads = c.has(1) ? c.cst(1).asLongs() : c.ints("pads", null);
    double value = c.has(2) ? scalar(c, c.cst(2)) : c.f("value", 0);
    if (pads == null || c.has(3)) {
      throw c.refuse("pads " + Arrays.toString(pads) + (c.has(3) ? " with axes" : ""));
    }
    if (Arrays.stream(pads).allMatch(p -> p == 0)) {
      return a;
    }
    Layout l = a.layout();
    if (value != 0 || !l.spatial() || pads.length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0
        || Arrays.stream(pads).anyMatch(p -> p < 0 || p > 1024)) {
      throw c.refuse("padding " + Arrays.toString(pads) + " with " + value + " of " + l
          + " (only non-negative zero padding of H and W)");
    }
    long oh = l.h() + pads[2] + pads[6];
    long ow = l.w() + pads[3] + pads[7];
    checkSize("node '" + c.name + "' output", l.c(), oh, ow);
    Layout out = Layout.cnn(l.c(), (int) oh, (int) ow);
    int[][] rows = new int[out.size()][];
    int[] none = new int[0];
    for (int ch = 0; ch < l.c(); ch++) {
      for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
          long iy = y - pads[2];
          long ix = x - pads[3];
          boolean inside = iy >= 0 && iy < l.h() && ix >= 0 && ix < l.w();
          rows[(int) ((ch * oh + y) * ow + x)] = inside ? new int[] {(int) ((ch * l.h() + iy) * l.w() + ix)} : none;
        }
      }
    }
    double[] ones = new double[rows.length];
    Arrays.fill(ones, 1.0);
    SparseMatrix sm = SparseMatrix.ofWindows(rows, ones, l.size());
    return new Act(c.add(null, "Pad", new int[] {a.node()}, new Op.Affine(sm, null), out.size()), out);
  }

  private Value softmax(Ctx c) {
    Act a = c.act(0);
    Layout l = a.layout();
    long dflt = opset >= 13 ? -1 : 1;
    long axis = c.i("axis", dflt);
    if (l.spatial() || (axis != 1 && axis != -1)) {
      throw c.refuse(c.op + " over axis " + axis + " of " + l);
    }
    boolean isOutput = c.n.getOutput(0).equals(outputName);
    if (isOutput) {
      // the bounds and margins are of the logits: a softmax (or log-softmax) output is dropped, as for DL4J models
      return a;
    }
    if (c.op.equals("LogSoftmax")) {
      throw c.refuse("log-softmax inside the network");
    }
    return new Act(c.add(null, "Softmax", new int[] {a.node()}, new Op.Softmax(), l.size()), l);
  }
}
