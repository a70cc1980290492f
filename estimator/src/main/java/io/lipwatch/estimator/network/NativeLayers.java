package io.lipwatch.estimator.network;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.NativeDense;
import io.lipwatch.estimator.linalg.SingleThreadBlas;
import java.util.ArrayList;
import java.util.List;

/**
 * A network whose large dense layers multiply in OpenBLAS ({@link NativeDense}), for one search that applies them
 * thousands of times (the engine's lower bounds); closed after it, which frees the layers' native copies. The same
 * maps as the network it was made from, up to rounding. OpenBLAS runs on the calling thread meanwhile
 * ({@link SingleThreadBlas}): the searches run beside the probes' threads, where a two-thread dgemv waits for a core.
 */
public final class NativeLayers implements AutoCloseable {
  private final ExtractedNetwork network;
  private final List<NativeDense> opened;
  private final SingleThreadBlas oneThread;

  private NativeLayers(ExtractedNetwork network, List<NativeDense> opened) {
    this.network = network;
    this.opened = opened;
    this.oneThread = SingleThreadBlas.enter();
  }

  public static NativeLayers of(ExtractedNetwork net) {
    List<NativeDense> opened = new ArrayList<>();
    List<Node> nodes = new ArrayList<>(net.nodes().size());
    try {
      for (Node n : net.nodes()) {
        if (n.op() instanceof Op.Affine a && a.linear() instanceof DenseMatrix d
            && (long) d.rows() * d.cols() >= NativeDense.MIN_ENTRIES) {
          NativeDense nd = new NativeDense(d);
          opened.add(nd);
          nodes.add(new Node(n.name(), n.type(), n.inputs(), new Op.Affine(nd, a.bias()), n.outDim()));
        } else {
          nodes.add(n);
        }
      }
    } catch (RuntimeException | Error e) {
      opened.forEach(NativeDense::close);
      throw e;
    }
    return new NativeLayers(new ExtractedNetwork(net.kind(), nodes, net.inputShape(), net.inputDim(), net.outputDim(),
        net.layers(), net.parameters()), opened);
  }

  public ExtractedNetwork network() {
    return network;
  }

  @Override
  public void close() {
    oneThread.close();
    opened.forEach(NativeDense::close);
  }
}
