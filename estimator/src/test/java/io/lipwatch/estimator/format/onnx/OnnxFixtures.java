package io.lipwatch.estimator.format.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The PyTorch exports of src/test/resources/onnx (made by generate.py there) and what PyTorch said about them. */
public record OnnxFixtures(String name, byte[] model, JsonNode meta) {
  public static final String[] ALL = {"linear_o13", "relu_nonneg_o9", "mlp_sigmoid_o13", "cnn_bn_o9", "cnn_res_o13"};
  /** What users' exports contain beyond ALL (with PyTorch's largest Jacobian norm at the inputs: a true lower bound). */
  public static final String[] EXPORTS = {"mlp_zoo_o9", "mlp_zoo_o13", "matmul_o9", "matmul_o13", "cnn_strided_o9",
      "cnn_strided_o13", "cnn_float64_o13", "mlp_float16_o13"};
  private static final ObjectMapper JSON = new ObjectMapper();

  public static OnnxFixtures load(String name) {
    try (InputStream m = OnnxFixtures.class.getResourceAsStream("/onnx/" + name + ".onnx");
        InputStream j = OnnxFixtures.class.getResourceAsStream("/onnx/" + name + ".json")) {
      if (m == null || j == null) {
        throw new IllegalStateException("fixture " + name + " missing (run generate.py in src/test/resources/onnx)");
      }
      return new OnnxFixtures(name, m.readAllBytes(), JSON.readTree(j));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public double[][] matrix(String field) {
    JsonNode a = meta.get(field);
    double[][] out = new double[a.size()][];
    for (int i = 0; i < a.size(); i++) {
      out[i] = new double[a.get(i).size()];
      for (int k = 0; k < out[i].length; k++) {
        out[i][k] = a.get(i).get(k).asDouble();
      }
    }
    return out;
  }

  public double[] vector(String field) {
    JsonNode a = meta.get(field);
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }

  /** A number, or null when the generator stored none. */
  public Double number(String field) {
    JsonNode n = meta.get(field);
    return n == null || n.isNull() ? null : n.asDouble();
  }
}
