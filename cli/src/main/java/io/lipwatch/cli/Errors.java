package io.lipwatch.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** One-line descriptions of failures for the command line. */
final class Errors {
  private Errors() {}

  static String describe(Throwable ex) {
    Throwable t = ex;
    while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.lang.reflect.InvocationTargetException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof NoSuchFileException nsf) {
      return "file not found: " + nsf.getFile() + (nsf.getReason() == null ? "" : " (" + nsf.getReason() + ")");
    }
    if (t instanceof AccessDeniedException ade) {
      return "permission denied: " + ade.getFile();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
