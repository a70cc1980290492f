package io.lipwatch.estimator.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequiredTest {
  @Test
  void missingFailsUnderCiAndSkipsOtherwiseWithTheInstallHint() {
    AssertionFailedError f = assertThrows(AssertionFailedError.class, () -> Required.check(false, "`x` is gone", "pkg-x", true));
    assertTrue(f.getMessage().contains("apt-get install -y pkg-x"), f.getMessage());
    TestAbortedException s = assertThrows(TestAbortedException.class, () -> Required.check(false, "`x` is gone", "pkg-x", false));
    assertTrue(s.getMessage().contains("apt-get install -y pkg-x") && s.getMessage().contains("`x` is gone"), s.getMessage());
    assertDoesNotThrow(() -> Required.check(true, "x", "pkg-x", true));
    assertDoesNotThrow(() -> Required.check(true, "x", "pkg-x", false));
  }

  @Test
  void onPathFindsOnlyExecutableFiles(@TempDir Path tmp) throws Exception {
    Path a = Files.createDirectory(tmp.resolve("a"));
    Path b = Files.createDirectory(tmp.resolve("b"));
    Files.writeString(a.resolve("tool"), "not executable");
    Path exe = Files.writeString(b.resolve("tool"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(exe, Required.onPath("tool", a + ":" + b));
    assertNull(Required.onPath("tool", a.toString()));
    assertNull(Required.onPath("tool", ":" + tmp));
  }
}
