package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.trainer.regularize.ClipTracking;
import io.lipwatch.trainer.regularize.Regularization;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLIP flags shared by train and reproduce: no flag keeps the measured defaults; each flag reaches the trainer. */
class ClipOptionsTest {
  @Test
  void noFlagsKeepTheTrackingClipDefaults() {
    Regularization d = Regularization.trackingClip(1.0, 0.85, 64);
    assertEquals(d, new ClipOptions().apply(d));
  }

  @Test
  void flagsReachTheRegularisationInTrainAndReproduce() {
    for (Object cmd : new Object[] {new TrainCommand(), new ReproduceCommand()}) {
      CommandLine cl = new CommandLine(cmd);
      String[] flags = {"--clip-radius", "0.5", "--clip-stall", "10:2", "--lambda-window", "25"};
      if (cmd instanceof ReproduceCommand) {
        flags = java.util.stream.Stream.concat(java.util.Arrays.stream(flags), java.util.stream.Stream.of("clip"))
            .toArray(String[]::new);
      }
      cl.parseArgs(flags);
      ClipOptions o = cmd instanceof TrainCommand t ? t.clip : ((ReproduceCommand) cmd).clip;
      Regularization r = o.apply(Regularization.trackingClip(1.0, 0.85, 64));
      assertEquals(new ClipTracking(0.5, ClipTracking.DEFAULT.reseedEvery(), 10, 2, ClipTracking.DEFAULT.engineSeeds()),
          r.tracking(), cmd.getClass().getSimpleName());
      assertEquals(25, r.schedule().window());
    }
  }

  @Test
  void clipPaperTrainsWithoutTrackingOnTheWorstPair() {
    TrainCommand t = new TrainCommand();
    new CommandLine(t).parseArgs("--clip-paper");
    Regularization r = t.clip.apply(Regularization.trackingClip(1.0, 0.85, 64));
    assertEquals(ClipTracking.OFF, r.tracking());
    assertEquals(Regularization.Aggregate.MAX, r.aggregate());
    assertTrue(r.schedule().warmupEpochs() == 5 && r.schedule().everyEpochs() == 2, r.schedule().toString());
  }
}
