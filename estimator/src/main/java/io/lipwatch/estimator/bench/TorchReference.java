package io.lipwatch.estimator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch reference process ({@code bench/pytorch_reference.py}, shipped in the jar): one long-lived python3 that
 * runs one JSON task per request on the .npy files of a work directory and answers with its own wall time and the
 * values it computed. Long-lived so that lipwatch and PyTorch repeats interleave in the same minute.
 */
public final class TorchReference implements AutoCloseable {
  public static final String INSTALL_HINT =
      "PyTorch not found: install it with `apt-get install -y python3-torch python3-numpy` (Debian), then rerun with --compare";
  static final String SCRIPT = "bench/pytorch_reference.py";
  /** Debian's python3-torch installs into the system interpreter; a pyenv/venv python3 on the PATH may lack it. */
  static final List<String> PYTHONS = List.of("/usr/bin/python3", "python3");

  /**
   * Environment variable choosing PyTorch's threading: unset, its fastest setting on these machines (one OpenMP
   * thread, OpenBLAS on {@code threads}: the stronger peer); {@value #DEFAULT_OPENMP}, PyTorch's own default
   * ({@code threads} OpenMP threads around a multi-threaded OpenBLAS: Debian's PyTorch calls the system OpenBLAS, and
   * the two thread pools oversubscribe the cores, 2–6× slower here).
   */
  public static final String OPENMP_ENV = "LIPWATCH_TORCH_OPENMP";
  public static final String DEFAULT_OPENMP = "default";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final BufferedWriter in;
  private final BufferedReader out;
  private final Path dir;
  private final JsonNode hello;

  private TorchReference(Process process, Path dir, int threads) throws IOException {
    this.process = process;
    this.dir = dir;
    this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    ObjectNode h = task("hello");
    h.put("threads", threads);
    this.hello = run(h).path("values");
  }

  /** The first python3 that imports torch and numpy, or null. */
  public static String findPython() {
    for (String p : PYTHONS) {
      try {
        // run from / : with -c the working directory comes first on sys.path, and a stray re.py or numpy.py there
        // would shadow the real module (a file left in /tmp made PyTorch look missing)
        Process pr = new ProcessBuilder(p, "-c", "import torch, numpy").directory(new java.io.File("/"))
            .redirectErrorStream(true).start();
        pr.getInputStream().readAllBytes();
        if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
          return p;
        }
        pr.destroyForcibly();
      } catch (IOException e) {
        // not installed under this name: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  /**
   * Starts the reference on work directory {@code dir} with {@code threads} intra-op threads (match lipwatch's), or
   * returns null when no python3 with torch is installed.
   */
  public static TorchReference start(Path dir, int threads) throws IOException {
    String python = findPython();
    if (python == null) {
      return null;
    }
    Path script = dir.resolve("pytorch_reference.py");
    try (InputStream s = TorchReference.class.getClassLoader().getResourceAsStream(SCRIPT)) {
      if (s == null) {
        throw new IOException(SCRIPT + " is missing from the classpath");
      }
      Files.copy(s, script, StandardCopyOption.REPLACE_EXISTING);
    }
    ProcessBuilder pb = new ProcessBuilder(python, script.toString(), dir.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("LIPWATCH_TORCH_THREADS", Integer.toString(threads));
    if (DEFAULT_OPENMP.equals(System.getenv(OPENMP_ENV))) {
      pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
      pb.environment().remove("OMP_THREAD_LIMIT");
      pb.environment().remove("OMP_WAIT_POLICY"); // the launcher's setting for ND4J, not PyTorch's default
    } else {
      pb.environment().put("OMP_THREAD_LIMIT", "1");
    }
    pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
    return new TorchReference(pb.start(), dir, threads);
  }

  public Path dir() {
    return dir;
  }

  /** torch version, threads, and its own sgemm GFLOP/s (1024² matrices, best of 10). */
  public JsonNode hello() {
    return hello;
  }

  /** Version and threading of the reference, for table headers. */
  public String describe() {
    int t = hello.path("threads").asInt();
    return "PyTorch " + hello.path("torch").asText() + (DEFAULT_OPENMP.equals(System.getenv(OPENMP_ENV))
        ? ", " + t + " OpenMP threads (its default; " + OPENMP_ENV + "=" + DEFAULT_OPENMP + ")"
        : ", OpenBLAS " + t + " threads + 1 OpenMP thread (its fastest setting here)");
  }

  public static ObjectNode task(String kind) {
    ObjectNode t = JSON.createObjectNode();
    t.put("kind", kind);
    return t;
  }

  /**
   * Runs one task; the answer has "seconds" (PyTorch's wall time of the work alone) and "values". Each side is timed
   * with the other's threads quiet ({@link QuietCores}): the task is sent once this JVM's threads are, and the answer
   * returned once the reference's are.
   */
  public JsonNode run(ObjectNode task) throws IOException {
    QuietCores.await(ProcessHandle.current().pid());
    in.write(JSON.writeValueAsString(task));
    in.newLine();
    in.flush();
    String line = out.readLine();
    if (line == null) {
      throw new IOException("the PyTorch reference exited (see its stderr above)");
    }
    JsonNode r = JSON.readTree(line);
    QuietCores.await(process.pid());
    if (r.has("error")) {
      throw new IOException("PyTorch reference failed on " + task.path("kind").asText() + ": " + r.get("error").asText());
    }
    return r;
  }

  /** Writes a JSON spec file into the work directory. */
  public static void writeJson(Path file, Object value) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), value);
  }

  public static List<Double> doubles(JsonNode array) {
    List<Double> v = new ArrayList<>();
    array.forEach(n -> v.add(n.asDouble()));
    return v;
  }

  @Override
  public void close() {
    try {
      in.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
