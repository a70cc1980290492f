package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --regularizer admm-lipsdp}: wrong combinations are refused with the reason, before any training. */
class AdmmFlagsTest {
  private static CliTest.Run train(Path out, String... extra) {
    String[] base = {"train", "--epochs", "1", "--out", out.toString(), "--train-samples", "200", "--hidden", "8,8"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return CliTest.run(args);
  }

  @Test
  void badCombinationsNameTheProblem(@TempDir Path tmp) {
    Path out = tmp.resolve("m.zip");
    CliTest.Run cnn = train(out, "--regularizer", "admm-lipsdp", "--arch", "cnn");
    assertNotEquals(0, cnn.code());
    assertTrue(cnn.err().contains("--arch mlp"), cnn.err());
    CliTest.Run negative = train(out, "--regularizer", "admm-lipsdp", "--lipschitz-target", "-1");
    assertNotEquals(0, negative.code());
    assertTrue(negative.err().contains("--lipschitz-target must be a positive number"), negative.err());
    CliTest.Run wrongReg = train(out, "--regularizer", "clip", "--dlambda", "0", "--lipschitz-target", "2");
    assertNotEquals(0, wrongReg.code());
    assertTrue(wrongReg.err().contains("admm-lipsdp only"), wrongReg.err());
    CliTest.Run rho = train(out, "--regularizer", "admm-lipsdp", "--admm-rho", "0");
    assertNotEquals(0, rho.code());
    assertTrue(rho.err().contains("ρ must be positive"), rho.err());
    CliTest.Run leaky = train(out, "--regularizer", "admm-lipsdp", "--activation", "leakyrelu");
    assertNotEquals(0, leaky.code());
    assertTrue(leaky.err().contains("slopes in [0, β]"), leaky.err());
    assertTrue(!Files.exists(out), "nothing written");
  }
}
