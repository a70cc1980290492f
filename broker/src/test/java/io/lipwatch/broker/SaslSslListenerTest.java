package io.lipwatch.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lipwatch.broker.SaslSslListener.ScramUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SASL_SSL listener's settings; the listener itself runs against a real broker in the cli's SecureClusterIT. */
class SaslSslListenerTest {
  @TempDir
  Path tmp;

  @Test
  void usersBecomeFormatArgumentsAndClientSettings() throws Exception {
    Path store = Files.createFile(tmp.resolve("s.p12"));
    ScramUser app = new ScramUser("lipwatch", "s3cret");
    SaslSslListener l = new SaslSslListener(store, "k", store, "t", new ScramUser("broker", "b"), List.of(app));
    assertEquals(List.of("SCRAM-SHA-512=[name=broker,password=b]", "SCRAM-SHA-512=[name=lipwatch,password=s3cret]"),
        l.scramArguments());
    var c = l.clientProperties(app);
    assertEquals("SASL_SSL", c.get("security.protocol"));
    assertEquals("SCRAM-SHA-512", c.get("sasl.mechanism"));
    assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"lipwatch\" password=\"s3cret\";",
        c.get("sasl.jaas.config"));
    assertEquals("t", c.get("ssl.truststore.password"));
    assertEquals(List.of("broker"), List.of(l.brokerProperties().get(
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config").replaceAll(".*username=\"(\\w+)\".*", "$1")));
    assertFalse(l.toString().contains("s3cret") || app.toString().contains("s3cret"), "no password in toString");
  }

  @Test
  void namesThatWouldBreakTheFormatSyntaxAreRefused() throws Exception {
    for (String bad : new String[] {"", "a,b", "a]", "a\"b", "a=b", "a b"}) {
      assertThrows(IllegalArgumentException.class, () -> new ScramUser(bad, "pw"), bad);
      assertThrows(IllegalArgumentException.class, () -> new ScramUser("user", bad), bad);
    }
    Path store = Files.createFile(tmp.resolve("s.p12"));
    assertThrows(IllegalArgumentException.class,
        () -> new SaslSslListener(tmp.resolve("missing.p12"), "k", store, "t", new ScramUser("b", "b"), null));
    assertThrows(IllegalArgumentException.class, () -> new SaslSslListener(store, "k", store, "t", null, null));
  }
}
