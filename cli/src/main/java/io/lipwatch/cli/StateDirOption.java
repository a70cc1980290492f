package io.lipwatch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --state-dir of the Kafka Streams services, defaulting to ~/.lipwatch/state (never a hard-coded /tmp). */
public final class StateDirOption {
  @Option(names = "--state-dir", paramLabel = "DIR", description = "Kafka Streams state directory (default: ~/.lipwatch/state).")
  Path stateDir;

  Path resolve() throws IOException {
    Path state = stateDir != null ? stateDir : Path.of(System.getProperty("user.home"), ".lipwatch", "state");
    return Files.createDirectories(state);
  }
}
