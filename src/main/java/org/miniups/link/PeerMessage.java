package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.miniups.CborSerializable;

/**
 * A domain message that travels over a link (to or from the World or Amazon). Links persist them
 * in their outbox, so the concrete type is recorded by name (each family names its members with
 * {@code @JsonSubTypes}; {@link org.miniups.node.StoredTypeNames} registers the families), never by
 * Java class name.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface PeerMessage extends CborSerializable {}
