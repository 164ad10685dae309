package org.miniups;

/**
 * Marker for every message and event that Pekko serializes (persisted events and state, messages
 * between nodes). It is bound to jackson-cbor in {@code conf/serialization.conf}.
 */
public interface CborSerializable {}
