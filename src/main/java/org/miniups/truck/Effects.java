package org.miniups.truck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.miniups.effects.EffectLog;
import org.miniups.effects.EffectRunner;
import org.miniups.truck.TruckEffect.Destination;

/**
 * A truck's decided effects on their way: the {@link EffectRunner} delivers them, and what their
 * receivers confirmed leaves the log, with the next decision once enough has gathered, or on its
 * own once the truck is quiet.
 */
final class Effects {
  /** Confirmed effects leave the log with the next decision once this many have gathered… */
  private static final int SETTLE_WITH_DECISION = 32;
  /** …or on their own once everything is confirmed and the truck is quiet for this long. */
  private static final Duration SETTLE_WHEN_QUIET = Duration.ofSeconds(1);

  private final EffectRunner<Destination, TruckEffect, Truck.Command> runner;
  private final TimerScheduler<Truck.Command> timers;
  private final EffectFactories<Truck.Event, TruckState> effect;
  private final Truck.Command settleDue;

  Effects(
      ActorContext<Truck.Command> context,
      TimerScheduler<Truck.Command> timers,
      EffectFactories<Truck.Event, TruckState> effect,
      EffectDelivery delivery,
      Function<EffectRunner.Outcome<Destination>, Truck.Command> asCommand,
      Truck.Command settleDue,
      Duration retryDelay) {
    // A shipment is dispatched again only once Amazon's acceptance of it is stored.
    Map<Destination, Set<Destination>> waitsFor = Map.of(Destination.DISPATCHER, Set.of(Destination.AMAZON_OUTBOX));
    this.runner = new EffectRunner<>(context, asCommand, delivery, waitsFor, retryDelay);
    this.timers = timers;
    this.effect = effect;
    this.settleDue = settleDue;
  }

  void deliver(EffectLog<Destination, TruckEffect> log) {
    runner.deliver(log);
  }

  /**
   * Persists {@code decisions} in one write, with the settling of what was confirmed meanwhile once
   * enough has gathered, then delivers the effects they added.
   */
  EffectBuilder<Truck.Event, TruckState> decide(TruckState state, List<Truck.Event> decisions) {
    List<Long> confirmed = runner.confirmedIds(state.effects());
    List<Truck.Event> events = new ArrayList<>();
    if (confirmed.size() >= SETTLE_WITH_DECISION) events.add(new Truck.EffectsSettled(confirmed));
    events.addAll(decisions);
    return effect.persist(events).thenRun(after -> runner.deliver(after.effects()));
  }

  ReplyEffect<Truck.Event, TruckState> onOutcome(EffectRunner.Outcome<Destination> outcome, TruckState state) {
    EffectLog<Destination, TruckEffect> log = state.effects();
    runner.onOutcome(outcome, log);
    if (!log.open().isEmpty() && runner.allConfirmed(log)) timers.startSingleTimer(settleDue, SETTLE_WHEN_QUIET);
    return effect.noReply();
  }

  /** Writes what may leave the log now, if anything. */
  ReplyEffect<Truck.Event, TruckState> settle(TruckState state) {
    List<Long> confirmed = runner.confirmedIds(state.effects());
    return confirmed.isEmpty() ? effect.noReply() : effect.persist(new Truck.EffectsSettled(confirmed)).thenNoReply();
  }
}
