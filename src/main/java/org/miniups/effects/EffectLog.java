package org.miniups.effects;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.miniups.CborSerializable;

/**
 * The side effects an entity decided and has not yet settled, as part of its persisted state. The
 * state transition that makes a decision adds its effects here, so they are written in the same
 * event as the decision: whatever is still here after a crash is sent again, under the same
 * numbers, so a receiver that has it already recognises the repeat. {@link EffectRunner} delivers
 * them; a later {@code settle} drops those known to have arrived.
 *
 * <p>Each effect has an {@code id} (the entity's order of decisions) and a {@code number} counting
 * effects for its destination (1, 2, 3…): an outbox stores a destination's effects in that order,
 * without gaps, which is what makes their seqnums follow the order of decisions.
 *
 * @param <D> where the entity's effects go (an enum: each constant is one receiver)
 * @param <E> the entity's effect type (a sealed interface with named subtypes)
 * @param nextId id of the next effect
 * @param lastNumber per destination, the number of its last effect
 * @param open decided and not settled, in id order
 */
public record EffectLog<D, E>(long nextId, Map<D, Long> lastNumber, List<Decided<D, E>> open)
    implements CborSerializable {

  public EffectLog {
    lastNumber = Map.copyOf(lastNumber);
    open = List.copyOf(open);
  }

  /** One decided effect. */
  public record Decided<D, E>(long id, D destination, long number, E effect) implements CborSerializable {}

  public static <D, E> EffectLog<D, E> empty() {
    return new EffectLog<>(1, Map.of(), List.of());
  }

  /** This log with {@code effect} for {@code destination} decided after everything in it. */
  public EffectLog<D, E> add(D destination, E effect) {
    long number = lastNumber(destination) + 1;
    Map<D, Long> numbers = new HashMap<>(lastNumber);
    numbers.put(destination, number);
    List<Decided<D, E>> more = new ArrayList<>(open);
    more.add(new Decided<>(nextId, destination, number, effect));
    return new EffectLog<>(nextId + 1, numbers, more);
  }

  /** The number of the last effect decided for {@code destination}, 0 before the first. */
  public long lastNumber(D destination) {
    return lastNumber.getOrDefault(destination, 0L);
  }

  /** This log without the effects {@code ids} (they reached their receivers). */
  public EffectLog<D, E> settle(Collection<Long> ids) {
    Set<Long> settled = new HashSet<>(ids);
    return new EffectLog<>(nextId, lastNumber, open.stream().filter(d -> !settled.contains(d.id())).toList());
  }
}
