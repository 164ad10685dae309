package org.miniups.effects;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.miniups.CborSerializable;
import org.miniups.effects.EffectLog.Decided;

/**
 * Delivers an entity's {@link EffectLog}: after every persist (and after recovery) it sends each
 * destination the effects it has not confirmed yet, in number order, one batch in flight per
 * destination, and tries again after a pause when a batch fails. What the receivers confirmed is
 * kept here, in memory; the entity drops it from its log with a settle event when convenient
 * (that is the only write besides the decisions themselves).
 *
 * <p>A destination may wait for others ({@code waitsFor}): its effects go out only once every
 * earlier effect for those destinations is confirmed. That is how an effect that depends on
 * another is sent only after what it depends on is stored.
 *
 * @param <D> where the entity's effects go
 * @param <E> the entity's effect type
 * @param <C> the entity's command type (outcomes come back as commands)
 */
public final class EffectRunner<D, E, C> {

  /** How the entity's destinations receive effects. */
  @FunctionalInterface
  public interface Delivery<D, E> {
    /**
     * Delivers {@code effects} (consecutive numbers of {@code destination}, in order); completes
     * with the highest number the receiver now has, every lower one included.
     */
    CompletionStage<Long> deliver(D destination, List<Decided<D, E>> effects);
  }

  /** A destination answered, failed, or is due for another try; the entity hands it back here. */
  public sealed interface Outcome<D> extends CborSerializable {}

  public record Confirmed<D>(D destination, long through) implements Outcome<D> {}

  public record Failed<D>(D destination, String reason) implements Outcome<D> {}

  public record RetryDue<D>(D destination) implements Outcome<D> {}

  private static final int WARN_AFTER_FAILURES = 3;

  private final ActorContext<C> context;
  private final Function<Outcome<D>, C> asCommand;
  private final Delivery<D, E> delivery;
  private final Map<D, Set<D>> waitsFor;
  private final Duration retryDelay;
  private final Map<D, Long> confirmedThrough = new HashMap<>();
  private final Set<D> inFlight = new HashSet<>();
  private final Map<D, Integer> failuresInARow = new HashMap<>();

  public EffectRunner(
      ActorContext<C> context,
      Function<Outcome<D>, C> asCommand,
      Delivery<D, E> delivery,
      Map<D, Set<D>> waitsFor,
      Duration retryDelay) {
    this.context = context;
    this.asCommand = asCommand;
    this.delivery = delivery;
    this.waitsFor = Map.copyOf(waitsFor);
    this.retryDelay = retryDelay;
  }

  /** Sends every destination what it has not confirmed, unless a batch is on its way or it waits. */
  public void deliver(EffectLog<D, E> log) {
    for (D destination : log.open().stream().map(Decided::destination).distinct().toList()) {
      if (inFlight.contains(destination) || isWaiting(destination, log)) continue;
      List<Decided<D, E>> unconfirmed = unconfirmed(destination, log);
      if (unconfirmed.isEmpty()) continue;
      inFlight.add(destination);
      context.pipeToSelf(
          delivery.deliver(destination, unconfirmed),
          (through, failure) ->
              asCommand.apply(
                  failure == null
                      ? new Confirmed<>(destination, through)
                      : new Failed<>(destination, String.valueOf(failure))));
    }
  }

  public void onOutcome(Outcome<D> outcome, EffectLog<D, E> log) {
    if (outcome instanceof Confirmed<D> confirmed && !advances(confirmed, log)) {
      // The receiver lacks effects before the batch (it should never happen: settled effects are
      // stored): sending the same batch at once would only spin, so it waits like a failure.
      outcome = new Failed<>(confirmed.destination(), "the receiver has only up to " + confirmed.through());
    }
    if (outcome instanceof Confirmed<D> confirmed) {
      inFlight.remove(confirmed.destination());
      failuresInARow.remove(confirmed.destination());
      confirmedThrough.merge(confirmed.destination(), confirmed.through(), Math::max);
    } else if (outcome instanceof Failed<D> failed) {
      int failures = failuresInARow.merge(failed.destination(), 1, Integer::sum);
      String line = "Effects for {} not delivered yet ({}); trying again in {}";
      if (failures == WARN_AFTER_FAILURES) context.getLog().warn(line, failed.destination(), failed.reason(), retryDelay);
      else context.getLog().debug(line, failed.destination(), failed.reason(), retryDelay);
      context.scheduleOnce(retryDelay, context.getSelf(), asCommand.apply(new RetryDue<>(failed.destination())));
      return; // still counted as in flight until the retry is due
    } else if (outcome instanceof RetryDue<D> due) {
      inFlight.remove(due.destination());
    }
    deliver(log);
  }

  /** A confirmation moves the destination on, or there was nothing left to confirm. */
  private boolean advances(Confirmed<D> confirmed, EffectLog<D, E> log) {
    return confirmed.through() > confirmedThrough.getOrDefault(confirmed.destination(), 0L)
        || unconfirmed(confirmed.destination(), log).isEmpty();
  }

  /** Ids of the open effects their receivers have confirmed: what a settle event may drop. */
  public List<Long> confirmedIds(EffectLog<D, E> log) {
    return log.open().stream().filter(this::isConfirmed).map(Decided::id).toList();
  }

  public boolean allConfirmed(EffectLog<D, E> log) {
    return log.open().stream().allMatch(this::isConfirmed);
  }

  private boolean isConfirmed(Decided<D, E> effect) {
    return effect.number() <= confirmedThrough.getOrDefault(effect.destination(), 0L);
  }

  private List<Decided<D, E>> unconfirmed(D destination, EffectLog<D, E> log) {
    return log.open().stream().filter(d -> d.destination().equals(destination) && !isConfirmed(d)).toList();
  }

  /** Some earlier effect for a destination this one waits for is not confirmed yet. */
  private boolean isWaiting(D destination, EffectLog<D, E> log) {
    Set<D> before = waitsFor.getOrDefault(destination, Set.of());
    if (before.isEmpty()) return false;
    long firstId = unconfirmed(destination, log).stream().mapToLong(Decided::id).min().orElse(Long.MAX_VALUE);
    return log.open().stream()
        .anyMatch(d -> d.id() < firstId && before.contains(d.destination()) && !isConfirmed(d));
  }
}
