package io.lipwatch.cli;

import picocli.CommandLine.Option;

/**
 * -h/--help alone, for the verbs whose --version is a model version: picocli's standard help options would also claim
 * --version (and -V) for the tool's own version.
 */
public final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;
}
