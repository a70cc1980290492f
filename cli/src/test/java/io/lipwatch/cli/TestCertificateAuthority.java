package io.lipwatch.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority made with the JDK's own {@code keytool} (no extra dependency): a self-signed CA,
 * PKCS12 trust stores holding it, and server key stores whose certificates it signs. EC P-256 keys, valid one day.
 */
final class TestCertificateAuthority {
  private final Path dir;
  private final String name;
  private final String password = "ca-" + UUID.randomUUID();
  private final Path caStore;
  private final Path caCert;

  private TestCertificateAuthority(Path dir, String name) {
    this.dir = dir;
    this.name = name;
    this.caStore = dir.resolve(name + "-ca.p12");
    this.caCert = dir.resolve(name + "-ca.pem");
  }

  /** A new CA whose files live in {@code dir}, prefixed with {@code name}. */
  static TestCertificateAuthority create(Path dir, String name) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    TestCertificateAuthority ca = new TestCertificateAuthority(dir, name);
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name + " test CA",
        "-ext", "bc:c", "-validity", "1", "-storetype", "PKCS12", "-keystore", ca.caStore.toString(), "-storepass", ca.password);
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.caStore.toString(), "-storepass", ca.password,
        "-file", ca.caCert.toString());
    return ca;
  }

  /** A PKCS12 trust store holding only this CA's certificate. */
  Path trustStore(String storePassword) throws IOException, InterruptedException {
    Path store = dir.resolve(name + "-truststore.p12");
    keytool("-importcert", "-noprompt", "-alias", name + "-ca", "-file", caCert.toString(), "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", storePassword);
    return store;
  }

  /**
   * A PKCS12 key store with a new key for {@code host} and its certificate chain (this CA), the certificate valid for
   * the DNS name {@code host} and the IP 127.0.0.1.
   */
  Path serverKeyStore(String host, String storePassword) throws IOException, InterruptedException {
    Path store = dir.resolve(name + "-" + host + ".p12");
    Path csr = dir.resolve(name + "-" + host + ".csr");
    Path cert = dir.resolve(name + "-" + host + ".pem");
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + host,
        "-validity", "1", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", storePassword);
    keytool("-certreq", "-alias", "server", "-keystore", store.toString(), "-storepass", storePassword, "-file", csr.toString());
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", password, "-infile",
        csr.toString(), "-outfile", cert.toString(), "-validity", "1", "-ext", "SAN=dns:" + host + ",ip:127.0.0.1",
        "-ext", "EKU=serverAuth,clientAuth");
    // the chain: the CA first (trusted anchor for the reply), then the signed certificate under the key's alias
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore", store.toString(),
        "-storepass", storePassword);
    keytool("-importcert", "-alias", "server", "-file", cert.toString(), "-keystore", store.toString(), "-storepass", storePassword);
    return store;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("keytool " + args[0] + " did not finish");
    }
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed (" + p.exitValue() + "): " + out);
    }
  }
}
