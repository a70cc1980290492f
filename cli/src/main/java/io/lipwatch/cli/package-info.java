/** The {@code lipwatch} command line (picocli verbs) and the all-in-one demo. */
package io.lipwatch.cli;
