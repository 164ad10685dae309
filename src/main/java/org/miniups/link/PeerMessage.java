package org.miniups.link;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.miniups.CborSerializable;

/**
 * A domain message that travels over a link (to or from the World or Amazon). Links persist them
 * in their outbox, so the concrete type is recorded; only subtypes of this interface are accepted
 * when reading it back.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
public interface PeerMessage extends CborSerializable {}
