package org.miniups;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Marker for what is written to the journal or a snapshot: events and states. They are stored
 * under a type name (the {@code type} property, with no manifest), never under a Java class name,
 * so a class can be renamed or moved without breaking replay. {@code conf/serialization.conf} binds
 * this marker to a jackson-cbor serializer that reads the type from the payload, and registers the
 * names (org.miniups.node.StoredTypeNames: the marker names no entity, each one depends on it).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface Persisted extends CborSerializable {}
