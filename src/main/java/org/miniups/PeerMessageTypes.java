package org.miniups;

import com.fasterxml.jackson.databind.module.SimpleModule;
import org.miniups.amazon.AmazonNotice;
import org.miniups.amazon.AmazonRequest;
import org.miniups.world.WorldCommand;
import org.miniups.world.WorldEvent;

/**
 * Registers the families of {@link org.miniups.link.PeerMessage} with Jackson, so a message stored
 * inside an outbox item is read back by its type name. The link package cannot name them itself
 * (the families depend on it), so this module does, from {@code conf/serialization.conf}.
 */
public final class PeerMessageTypes extends SimpleModule {
  public PeerMessageTypes() {
    super("mini-ups-peer-messages");
    registerSubtypes(WorldCommand.class, WorldEvent.class, AmazonNotice.class, AmazonRequest.class);
  }
}
