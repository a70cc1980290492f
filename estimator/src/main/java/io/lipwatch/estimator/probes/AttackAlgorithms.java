package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import io.lipwatch.estimator.probes.ProbeConfig.Schedule;
import java.util.Arrays;
import java.util.List;

/** The registered attack algorithms; the first that {@link Attack#handles} a configured attack runs it. */
final class AttackAlgorithms {
  private AttackAlgorithms() {}

  static final List<Attack> ALL = List.of(new Fgsm(), new AutoPgd(), new FixedStepPgd());

  static Attack forSpec(AttackSpec spec) {
    return ALL.stream().filter(a -> a.handles(spec)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no attack algorithm for " + spec));
  }

  /** One signed-gradient step of size ε (Goodfellow et al.); cross-entropy, no restarts. */
  static final class Fgsm implements Attack {
    @Override
    public boolean handles(AttackSpec spec) {
      return spec.kind() == Kind.FGSM;
    }

    @Override
    public List<LogitLoss> losses(AttackSpec spec) {
      return List.of(LogitLoss.CE);
    }

    @Override
    public int restarts(AttackSpec spec) {
      return 1;
    }

    @Override
    public Outcome attack(Classifier c, Batch b, AttackSpec spec, LogitLoss loss, long seed, double lo, double hi,
        Deadline deadline, Attacks.Observer obs) {
      return Attacks.fgsm(c, b, spec.norm(), spec.eps(), lo, hi, obs);
    }
  }

  /** PGD with APGD's adaptive step schedule (Croce and Hein 2020). */
  static final class AutoPgd implements Attack {
    @Override
    public boolean handles(AttackSpec spec) {
      return spec.kind() == Kind.PGD && spec.schedule() == Schedule.APGD;
    }

    @Override
    public Outcome attack(Classifier c, Batch b, AttackSpec spec, LogitLoss loss, long seed, double lo, double hi,
        Deadline deadline, Attacks.Observer obs) {
      return Apgd.run(c, b, spec.norm(), spec.eps(), spec.steps(), loss, seed, lo, hi, deadline, obs);
    }
  }

  /** PGD with a fixed step size (Madry et al.), the papers' attack. */
  static final class FixedStepPgd implements Attack {
    @Override
    public boolean handles(AttackSpec spec) {
      return spec.kind() == Kind.PGD && spec.schedule() == Schedule.FIXED;
    }

    @Override
    public Outcome attack(Classifier c, Batch b, AttackSpec spec, LogitLoss loss, long seed, double lo, double hi,
        Deadline deadline, Attacks.Observer obs) {
      return Attacks.pgd(c, b, spec.norm(), filled(b.n(), spec.eps()), filled(b.n(), spec.stepSize()), spec.steps(),
          spec.randomStart(), seed, lo, hi, false, deadline, obs, null, loss);
    }

    private static double[] filled(int n, double v) {
      double[] a = new double[n];
      Arrays.fill(a, v);
      return a;
    }
  }
}
