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
 * @param <E> the entity's effect type (a sealed interface with named subtypes)
 * @param nextId id of the next effect
 * @param lastNumber per destination, the number of its last effect
 * @param open decided and not settled, in id order
 */
public record EffectLog<E>(long nextId, Map<String, Long> lastNumber, List<Decided<E>> open)
    implements CborSerializable {

  public EffectLog {
    lastNumber = Map.copyOf(lastNumber);
    open = List.copyOf(open);
  }

  /** One decided effect. */
  public record Decided<E>(long id, String destination, long number, E effect) implements CborSerializable {}

  public static <E> EffectLog<E> empty() {
    return new EffectLog<>(1, Map.of(), List.of());
  }

  /** This log with {@code effect} for {@code destination} decided after everything in it. */
  public EffectLog<E> add(String destination, E effect) {
    long number = lastNumber.getOrDefault(destination, 0L) + 1;
    Map<String, Long> numbers = new HashMap<>(lastNumber);
    numbers.put(destination, number);
    List<Decided<E>> more = new ArrayList<>(open);
    more.add(new Decided<>(nextId, destination, number, effect));
    return new EffectLog<>(nextId + 1, numbers, more);
  }

  /** This log without the effects {@code ids} (they reached their receivers). */
  public EffectLog<E> settle(Collection<Long> ids) {
    Set<Long> settled = new HashSet<>(ids);
    return new EffectLog<>(nextId, lastNumber, open.stream().filter(d -> !settled.contains(d.id())).toList());
  }

  /** The open effects decided since {@code firstId}, e.g. by the events just persisted. */
  public List<Decided<E>> since(long firstId) {
    return open.stream().filter(d -> d.id() >= firstId).toList();
  }
}
